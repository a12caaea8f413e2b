import { AppError } from '@app/common';
import { errorFormatOf, renderGatewayError, renderUpstreamError } from '@app/proxy/proxy-errors';

const cooldown = () =>
  AppError.of(
    'MODEL_COOLDOWN',
    { model: 'm1' },
    { details: { reset_seconds: 12 }, headers: { 'retry-after': '12' } },
  );

describe(renderGatewayError.name, () => {
  it('should give OpenAI clients the code, message and reset time', () => {
    expect(renderGatewayError('openai', cooldown())).toEqual({
      error: {
        code: 'model_cooldown',
        message: 'All credentials for model m1 are cooling down',
        reset_seconds: 12,
        type: 'rate_limit_error',
      },
    });
  });

  it('should keep the Claude envelope and carry the code inside it', () => {
    expect(renderGatewayError('claude', cooldown())).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message: 'All credentials for model m1 are cooling down',
        code: 'model_cooldown',
        reset_seconds: 12,
      },
    });
  });

  it('should keep the Gemini envelope with ErrorInfo and RetryInfo details', () => {
    expect(renderGatewayError('gemini', cooldown())).toEqual({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'All credentials for model m1 are cooling down',
        reset_seconds: 12,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'model_cooldown',
            domain: 'switchboard',
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
        ],
      },
    });
  });

  it('should render errors without a code as the plain envelope', () => {
    const e = AppError.of('INVALID_REQUEST', { detail: 'model is required' });
    expect(renderGatewayError('claude', e)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'model is required' },
    });
  });
});

describe(renderUpstreamError.name, () => {
  it('should keep the upstream message in the client format', () => {
    const e = { status: 429, type: 'rate_limit_error', message: 'slow down' };
    expect(renderUpstreamError('openai', e)).toMatchObject({
      error: { message: 'slow down', type: 'rate_limit_error' },
    });
    expect(renderUpstreamError('claude', e)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    expect(renderUpstreamError('gemini', e)).toMatchObject({
      error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' },
    });
  });

  it('should mask a credential the upstream quotes back', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwx';
    const e = { status: 401, type: 'authentication_error', message: `Incorrect API key: ${key}` };
    for (const format of ['openai', 'claude', 'gemini'] as const) {
      const text = JSON.stringify(renderUpstreamError(format, e));
      expect(text).not.toContain(key);
      expect(text).toContain('Incorrect API key: sk-…uvwx');
    }
    expect(e.message).toContain(key); // the caller's object is left alone
  });
});

describe(errorFormatOf.name, () => {
  it('should map every wire format to its envelope', () => {
    expect(errorFormatOf('openai-responses')).toBe('openai');
    expect(errorFormatOf('openai-completions')).toBe('openai');
    expect(errorFormatOf('claude')).toBe('claude');
    expect(errorFormatOf('gemini-cli')).toBe('gemini');
  });
});
