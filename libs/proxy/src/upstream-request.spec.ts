import { createContext, parseClientRequest, providerFor, type ProviderId } from '@app/llm';
import type { Candidate } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import {
  buildUpstreamRequest,
  transportFailure,
  upstreamFailure,
} from '@app/proxy/upstream-request';

const cand = (provider: ProviderId, over: Partial<Candidate> = {}): Candidate => ({
  credentialId: 'c',
  authIndex: '0123456789abcdef',
  provider,
  label: 'k',
  upstreamModel: 'up-model',
  stateModel: 'up-model',
  baseUrl: 'http://fake',
  headers: {},
  token: 'tok',
  oauth: false,
  ...over,
});

const claudeBody = {
  model: 'client-model',
  max_tokens: 100,
  temperature: 0.2,
  messages: [{ role: 'user', content: 'count me' }],
};

function build(
  call: ClientCall,
  body: Record<string, unknown>,
  provider: ProviderId,
  clientStreams = false,
) {
  const ctx = createContext({ upstreamModel: 'up-model' });
  const ir = call.action === 'compact' ? undefined : parseClientRequest(call.format, body, ctx);
  return buildUpstreamRequest(
    call,
    ir,
    body,
    ctx,
    cand(provider),
    providerFor(provider),
    clientStreams,
    'req-1',
  );
}

describe(buildUpstreamRequest.name, () => {
  it('should build a Claude count_tokens body without generation settings', () => {
    const call: ClientCall = { format: 'claude', action: 'count_tokens', route: 'r' };
    const sut = build(call, claudeBody, 'claude');
    expect(sut.url).toBe('http://fake/v1/messages/count_tokens');
    const body = JSON.parse(sut.body) as Record<string, unknown>;
    expect(body.model).toBe('up-model');
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('temperature');
    expect(sut.headers['x-request-id']).toBe('req-1');
  });

  it('should stream from a streaming-only upstream even for a non-stream client', () => {
    const call: ClientCall = { format: 'openai', action: 'generate', route: 'r' };
    const sut = build(call, { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, 'codex');
    expect(sut.streams).toBe(true);
    expect(sut.url).toBe('http://fake/responses');
    expect(sut.headers.accept).toBe('text/event-stream');
  });

  it('should ask a Codex upstream for JSON on compact', () => {
    const call: ClientCall = { format: 'openai-responses', action: 'compact', route: 'r' };
    const sut = build(call, { model: 'x', input: 'hello' }, 'codex');
    expect(sut.streams).toBe(false);
    expect(sut.url).toBe('http://fake/responses/compact');
    expect(sut.headers.accept).toBe('application/json');
    expect(JSON.parse(sut.body)).toMatchObject({ model: 'up-model', instructions: '' });
  });
});

describe(transportFailure.name, () => {
  const timeouts = { headerSeconds: 2, idleSeconds: 30 };

  it('should turn undici timeouts into 504s that name the setting', () => {
    const headers = transportFailure(
      Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
      'claude',
      timeouts,
    );
    expect(headers.status).toBe(504);
    expect(headers.error.message).toContain('2 s (upstream-timeouts.header-seconds)');
    const body = transportFailure(
      Object.assign(new Error('x'), { code: 'UND_ERR_BODY_TIMEOUT' }),
      'claude',
      timeouts,
    );
    expect(body.error.message).toContain('upstream-timeouts.idle-seconds');
  });

  it('should treat other transport errors as 502', () => {
    const sut = transportFailure(new Error('connect ECONNREFUSED'), 'gemini', timeouts);
    expect(sut).toMatchObject({ status: 502, body: '' });
    expect(sut.error.message).toContain('ECONNREFUSED');
  });
});

describe(upstreamFailure.name, () => {
  it('should keep the status, read the message and the retry hint', () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: 'quota',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '9s' }],
      },
    });
    const sut = upstreamFailure(providerFor('gemini'), 429, {}, body);
    expect(sut.status).toBe(429);
    expect(sut.error.message).toBe('quota');
    expect(sut.retryAfterSec).toBe(9);
    expect(sut.body).toBe(body);
  });

  it('should fall back to the raw text for unreadable bodies', () => {
    const sut = upstreamFailure(
      providerFor('claude'),
      502,
      { 'retry-after': '3' },
      '<html>bad gateway</html>',
    );
    expect(sut.status).toBe(502);
    expect(sut.error.message).toContain('bad gateway');
    expect(sut.retryAfterSec).toBe(3);
  });
  it('should mask the exact token an upstream quotes back, whatever its shape', () => {
    const token = 'odd.shaped~credential/0123456789';
    const body = JSON.stringify({
      error: { type: 'authentication_error', message: `Invalid key: ${token} (check it)` },
    });
    const sut = upstreamFailure(providerFor('claude'), 401, {}, body, token);
    expect(sut.error.message).not.toContain(token);
    expect(sut.body).not.toContain(token);
    expect(sut.error.message).toContain('(check it)');
  });
});
