import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';
import {
  buildCompactRequest,
  compactResponseUsage,
  openaiResponsesCodec,
} from '@app/llm/formats/openai-responses';

const fixture = (path: string): string =>
  readFileSync(join(__dirname, '../../../../../test/fixtures', path), 'utf8');

const sut = openaiResponsesCodec;

describe('openaiResponsesCodec errors', () => {
  it('should render errors in the OpenAI shape', () => {
    expect(
      sut.buildError({
        status: 429,
        type: 'rate_limit_error',
        message: 'All credentials for model gpt-5 are cooling down',
        code: 'model_cooldown',
      }),
    ).toEqual({
      error: {
        message: 'All credentials for model gpt-5 are cooling down',
        type: 'rate_limit_error',
        param: null,
        code: 'model_cooldown',
      },
    });
    expect(sut.buildError({ status: 500, type: 'api_error', message: 'x' })).toEqual({
      error: { message: 'x', type: 'api_error', param: null, code: null },
    });
  });

  it('should read OpenAI error bodies and keep the upstream code', () => {
    expect(sut.parseError(400, fixture('openai-responses/error-400.json'))).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: expect.stringMatching(/^Invalid type for 'input'/),
      code: 'invalid_type',
    });
    expect(sut.parseError(429, fixture('openai-responses/error-429.json'))).toEqual({
      status: 429,
      type: 'rate_limit_error',
      message: expect.stringMatching(/^Rate limit reached/),
      code: 'rate_limit_exceeded',
    });
  });

  it('should read Codex-style bodies and plain text', () => {
    expect(sut.parseError(429, fixture('codex/error-429-usage-limit.json'))).toEqual({
      status: 429,
      type: 'rate_limit_error',
      message: 'The usage limit has been reached',
      code: 'usage_limit_reached',
    });
    expect(sut.parseError(400, fixture('codex/error-400-unsupported.json'))).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: 'Unsupported parameter: max_output_tokens',
    });
    expect(sut.parseError(502, '<html>Bad gateway</html>')).toEqual({
      status: 502,
      type: 'api_error',
      message: '<html>Bad gateway</html>',
    });
    expect(sut.parseError(401, '{"error":"invalid key"}')).toEqual({
      status: 401,
      type: 'authentication_error',
      message: 'invalid key',
    });
  });
});

describe('responses compact helpers', () => {
  const body = JSON.parse(fixture('openai-responses/compact-request.json')) as Record<
    string,
    unknown
  >;

  it('should send a compact body to Responses upstreams with the upstream model', () => {
    const out = buildCompactRequest(
      body,
      'openai-responses',
      createContext({ upstreamModel: 'gpt-5.1' }),
    );
    expect(out).toEqual({ ...body, model: 'gpt-5.1' });
  });

  it('should apply Codex rules to a compact body', () => {
    const out = buildCompactRequest(
      {
        model: 'gpt-5',
        input: [{ role: 'system', content: 'be brief' }],
        store: true,
        stream: false,
      },
      'codex',
      createContext({ upstreamModel: 'gpt-5-codex' }),
    );
    expect(out).toEqual({
      model: 'gpt-5-codex',
      instructions: '',
      input: [{ role: 'developer', content: 'be brief' }],
    });
  });

  it('should refuse other upstreams and bad bodies', () => {
    const c = createContext({ upstreamModel: 'm' });
    expect(() => buildCompactRequest(body, 'claude', c)).toThrow(TranslationError);
    expect(() => buildCompactRequest({ input: 5 }, 'openai-responses', c)).toThrow(/input/);
  });

  it('should read usage from a compact response', () => {
    expect(
      compactResponseUsage(JSON.parse(fixture('openai-responses/compact-response.json'))),
    ).toEqual({
      inputTokens: 139,
      outputTokens: 438,
      reasoningTokens: 64,
      cachedTokens: 0,
      totalTokens: 577,
    });
    expect(compactResponseUsage('x')).toBeUndefined();
  });
});
