import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import {
  buildGeminiCountTokensRequest,
  buildGeminiCountTokensResponse,
  geminiCodec,
  parseDurationSeconds,
  parseGeminiCountTokensRequest,
  parseGeminiCountTokensResponse,
  parseGeminiRetryDelay,
} from '@app/llm/formats/gemini';

const ROOT = join(__dirname, '../../../../../test/fixtures');
const raw = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

const sut = geminiCodec;

describe('gemini buildError', () => {
  it('should render {"error":{"code","message","status"}} with Google status names', () => {
    const cases: [number, string, string][] = [
      [400, 'invalid_request_error', 'INVALID_ARGUMENT'],
      [401, 'authentication_error', 'UNAUTHENTICATED'],
      [403, 'permission_error', 'PERMISSION_DENIED'],
      [404, 'not_found_error', 'NOT_FOUND'],
      [429, 'rate_limit_error', 'RESOURCE_EXHAUSTED'],
      [500, 'api_error', 'INTERNAL'],
      [503, 'service_error', 'UNAVAILABLE'],
      [504, 'api_error', 'DEADLINE_EXCEEDED'],
      [529, 'overloaded_error', 'UNAVAILABLE'],
    ];
    for (const [status, type, name] of cases) {
      expect(sut.buildError({ status, type, message: 'm' })).toEqual({
        error: { code: status, message: 'm', status: name },
      });
    }
  });
});

describe('gemini parseError', () => {
  it('should read status, message and the ErrorInfo reason', () => {
    expect(sut.parseError(400, raw('gemini/error-400-api-key-invalid.json'))).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: 'API key not valid. Please pass a valid API key.',
      code: 'API_KEY_INVALID',
    });
    expect(sut.parseError(503, raw('gemini/error-503-unavailable.json'))).toEqual({
      status: 503,
      type: 'overloaded_error',
      message: 'The model is overloaded. Please try again later.',
      code: 'UNAVAILABLE',
    });
    expect(sut.parseError(429, raw('gemini/error-429-resource-exhausted.json'))).toMatchObject({
      type: 'rate_limit_error',
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringContaining('You exceeded your current quota'),
    });
  });

  it('should accept the array form and fall back to the body text', () => {
    expect(
      sut.parseError(
        404,
        '[{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}]',
      ),
    ).toMatchObject({ type: 'not_found_error', message: 'models/x is not found' });
    expect(sut.parseError(502, '<html>Bad Gateway</html>')).toEqual({
      status: 502,
      type: 'api_error',
      message: '<html>Bad Gateway</html>',
    });
    expect(sut.parseError(401, '')).toMatchObject({ type: 'authentication_error' });
  });
});

describe(parseGeminiRetryDelay.name, () => {
  it('should read RetryInfo.retryDelay in seconds from text or parsed JSON', () => {
    const body = raw('gemini/error-429-resource-exhausted.json');
    expect(parseGeminiRetryDelay(body)).toBe(37);
    expect(parseGeminiRetryDelay(JSON.parse(body))).toBe(37);
  });

  it('should fall back to the Code Assist quotaResetDelay', () => {
    expect(parseGeminiRetryDelay(raw('gemini-cli/error-429-quota-exhausted.json'))).toBeCloseTo(
      4560.668,
      3,
    );
  });

  it('should return undefined when the body says nothing about waiting', () => {
    expect(parseGeminiRetryDelay(raw('gemini/error-503-unavailable.json'))).toBeUndefined();
    expect(parseGeminiRetryDelay('not json')).toBeUndefined();
  });

  it('should parse protobuf and Go durations', () => {
    expect(parseDurationSeconds('0.5s')).toBe(0.5);
    expect(parseDurationSeconds('250ms')).toBeCloseTo(0.25);
    expect(parseDurationSeconds('1h2m3s')).toBe(3723);
    expect(parseDurationSeconds('soon')).toBeUndefined();
  });
});

describe('gemini countTokens', () => {
  const ctx = () => createContext({ upstreamModel: 'gemini-2.5-flash' });

  it('should parse the generateContentRequest form and the bare contents form', () => {
    const full = parseGeminiCountTokensRequest(
      JSON.parse(raw('gemini/count-tokens-request.json')),
      ctx(),
    );
    expect(full.system).toEqual([{ type: 'text', text: 'You are terse.' }]);
    expect(full.messages[0].content).toEqual([
      { type: 'text', text: 'How many tokens is this sentence?' },
    ]);

    const bare = parseGeminiCountTokensRequest(
      { contents: [{ role: 'user', parts: [{ text: 'x' }] }] },
      ctx(),
    );
    expect(bare.messages).toHaveLength(1);
    expect(() => parseGeminiCountTokensRequest({ generateContentRequest: 1 }, ctx())).toThrow(
      '(at generateContentRequest)',
    );
  });

  it('should build and read countTokens bodies', () => {
    const c = ctx();
    const ir = parseGeminiCountTokensRequest(
      JSON.parse(raw('gemini/count-tokens-request.json')),
      c,
    );
    expect(buildGeminiCountTokensRequest(ir, c)).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        systemInstruction: { parts: [{ text: 'You are terse.' }] },
        contents: [{ role: 'user', parts: [{ text: 'How many tokens is this sentence?' }] }],
      },
    });
    expect(buildGeminiCountTokensResponse(14)).toEqual({ totalTokens: 14 });
    expect(
      parseGeminiCountTokensResponse(JSON.parse(raw('gemini/count-tokens-response.json'))),
    ).toBe(14);
  });
});
