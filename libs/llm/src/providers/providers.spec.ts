import { PROVIDERS, providerFor } from '@app/llm/providers';
import {
  codexResetSeconds,
  geminiRetryDelay,
  parseRetryAfterHeader,
} from '@app/llm/providers/retry-hints';
import type { UpstreamCall } from '@app/llm/providers/provider.types';

const call = (over: Partial<UpstreamCall> = {}): UpstreamCall => ({
  model: 'm-1',
  stream: false,
  action: 'generate',
  token: 'secret-token',
  oauth: false,
  ...over,
});

describe('provider adapters', () => {
  it('should build Gemini URLs for each action and put the key in x-goog-api-key', () => {
    const sut = providerFor('gemini');
    expect(sut.url(call())).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/m-1:generateContent',
    );
    expect(sut.url(call({ stream: true, baseUrl: 'http://127.0.0.1:9/' }))).toBe(
      'http://127.0.0.1:9/v1beta/models/m-1:streamGenerateContent?alt=sse',
    );
    expect(sut.url(call({ action: 'count_tokens' }))).toMatch(/:countTokens$/);
    expect(sut.headers(call())['x-goog-api-key']).toBe('secret-token');
    expect(sut.format).toBe('gemini');
  });

  it('should address Claude with x-api-key or a Bearer OAuth token and the version header', () => {
    const sut = providerFor('claude');
    expect(sut.url(call({ baseUrl: 'http://h' }))).toBe('http://h/v1/messages');
    expect(sut.url(call({ action: 'count_tokens' }))).toBe(
      'https://api.anthropic.com/v1/messages/count_tokens',
    );
    expect(sut.headers(call())).toMatchObject({
      'x-api-key': 'secret-token',
      'anthropic-version': '2023-06-01',
    });
    const oauth = sut.headers(call({ oauth: true }));
    expect(oauth.authorization).toBe('Bearer secret-token');
    expect(oauth['anthropic-beta']).toContain('oauth');
    expect(oauth['x-api-key']).toBeUndefined();
  });

  it('should send Codex calls to /responses, always streaming, with the account id', () => {
    const sut = providerFor('codex');
    expect(sut.alwaysStreams).toBe(true);
    expect(sut.url(call())).toBe('https://chatgpt.com/backend-api/codex/responses');
    expect(sut.url(call({ action: 'compact' }))).toMatch(/\/responses\/compact$/);
    const h = sut.headers(call({ accountId: 'acc-1' }));
    expect(h['chatgpt-account-id']).toBe('acc-1');
    expect(h.accept).toBe('text/event-stream');
  });

  it('should append /chat/completions for the OpenAI-chat family', () => {
    for (const id of ['openai-compatibility', 'qwen', 'iflow', 'kimi'] as const) {
      const sut = providerFor(id);
      expect(sut.format).toBe('openai');
      expect(sut.url(call({ baseUrl: 'http://127.0.0.1:1/v1' }))).toBe(
        'http://127.0.0.1:1/v1/chat/completions',
      );
      expect(sut.headers(call()).authorization).toBe('Bearer secret-token');
    }
  });

  it('should use Code Assist methods for Gemini CLI and Antigravity', () => {
    expect(providerFor('gemini-cli').url(call({ stream: true }))).toBe(
      'https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse',
    );
    expect(providerFor('antigravity').url(call({ baseUrl: 'http://x' }))).toBe(
      'http://x/v1internal:generateContent',
    );
  });

  it('should address Vertex by project and location with a service-account token', () => {
    const sut = providerFor('vertex');
    expect(sut.url(call({ oauth: true, project: 'p1', location: 'us-central1' }))).toBe(
      'https://aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/m-1:generateContent',
    );
    expect(sut.url(call())).toBe(
      'https://aiplatform.googleapis.com/v1/publishers/google/models/m-1:generateContent',
    );
  });

  it('should let config headers override provider headers', () => {
    const h = providerFor('openai-compatibility').headers(
      call({ headers: { 'X-Custom': 'a', Authorization: 'Bearer other' } }),
    );
    expect(h['x-custom']).toBe('a');
    expect(h.authorization).toBe('Bearer other');
  });

  it('should have an adapter for every provider id', () => {
    for (const [id, adapter] of Object.entries(PROVIDERS)) expect(adapter.id).toBe(id);
  });
});

describe('retry hints', () => {
  it('should read Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfterHeader('30')).toBe(30);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterHeader('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfterHeader('soon')).toBeUndefined();
  });

  it('should read Gemini RetryInfo and Codex resets_in_seconds bodies', () => {
    const gemini = JSON.stringify({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
      },
    });
    expect(geminiRetryDelay(gemini)).toBe(37);
    expect(providerFor('gemini').retryAfterSeconds(429, { 'retry-after': '5' }, gemini)).toBe(37);
    expect(providerFor('gemini').retryAfterSeconds(429, { 'retry-after': '5' }, 'not json')).toBe(
      5,
    );
    expect(
      codexResetSeconds(
        JSON.stringify({ error: { type: 'usage_limit_reached', resets_in_seconds: 120 } }),
      ),
    ).toBe(120);
    expect(codexResetSeconds('{}')).toBeUndefined();
  });
});
