import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildOpenAIError,
  errorTypeForStatus,
  parseOpenAIError,
} from '@app/llm/formats/openai/error';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe(buildOpenAIError.name, () => {
  it('should render message, type, param and code', () => {
    expect(
      buildOpenAIError({
        status: 429,
        type: 'rate_limit_error',
        message: 'All credentials for model gpt-4o are cooling down',
        code: 'model_cooldown',
      }),
    ).toEqual({
      error: {
        message: 'All credentials for model gpt-4o are cooling down',
        type: 'rate_limit_error',
        param: null,
        code: 'model_cooldown',
      },
    });
  });

  it('should render a missing code as null', () => {
    expect(
      buildOpenAIError({ status: 400, type: 'invalid_request_error', message: 'bad' }),
    ).toEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: null, code: null },
    });
  });
});

describe(parseOpenAIError.name, () => {
  it('should keep a normalised type and the code of an OpenAI error', () => {
    expect(parseOpenAIError(400, fixture('error-context-length.json'))).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: expect.stringMatching(/^This model's maximum context length is 128000 tokens/),
      code: 'context_length_exceeded',
    });
  });

  it('should normalise OpenAI-specific types by status', () => {
    expect(parseOpenAIError(429, fixture('error-rate-limit.json'))).toEqual({
      status: 429,
      type: 'rate_limit_error',
      message: expect.stringMatching(/^Rate limit reached for gpt-4o/),
      code: 'rate_limit_exceeded',
    });
    expect(
      parseOpenAIError(
        429,
        '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":null}}',
      ),
    ).toEqual({
      status: 429,
      type: 'rate_limit_error',
      message: 'You exceeded your current quota',
      code: 'insufficient_quota',
    });
    expect(
      parseOpenAIError(500, '{"error":{"message":"oops","type":"server_error"}}'),
    ).toMatchObject({
      type: 'api_error',
      code: 'server_error',
    });
  });

  it('should read the shapes compatible hosts use', () => {
    expect(parseOpenAIError(401, '{"error":"Invalid API key"}')).toEqual({
      status: 401,
      type: 'authentication_error',
      message: 'Invalid API key',
    });
    expect(parseOpenAIError(404, '{"message":"model not found","code":"model_not_found"}')).toEqual(
      {
        status: 404,
        type: 'not_found_error',
        message: 'model not found',
      },
    );
    expect(
      parseOpenAIError(
        503,
        '[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]',
      ),
    ).toEqual({ status: 503, type: 'overloaded_error', message: 'The model is overloaded.' });
  });

  it('should fall back to the raw text or the status for bodies that are not JSON', () => {
    expect(parseOpenAIError(502, '<html>Bad Gateway</html>\n')).toEqual({
      status: 502,
      type: 'api_error',
      message: '<html>Bad Gateway</html>',
    });
    expect(parseOpenAIError(403, '')).toEqual({
      status: 403,
      type: 'permission_error',
      message: 'Upstream answered with HTTP 403',
    });
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'overloaded_error'],
    [529, 'overloaded_error'],
  ])('should type HTTP %i as %s', (status, type) => {
    expect(errorTypeForStatus(status)).toBe(type);
  });
});
