import { providerFor, type UpstreamCall } from '@app/llm';
import { forwardFeatureHeaders, forwardFeatureQuery } from '@app/proxy/feature-headers';

/** What Claude Code 2.1 sends with a gateway key. */
const CLAUDE_CODE_HEADERS = {
  authorization: 'Bearer sk-client-key',
  'x-api-key': 'sk-client-key',
  cookie: 'session=abc',
  connection: 'keep-alive',
  'proxy-authorization': 'Basic eA==',
  'user-agent': 'claude-cli/2.1.332 (external, cli)',
  'anthropic-version': '2023-06-01',
  'anthropic-beta':
    'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,mid-conversation-system-2026-04-07',
  'anthropic-dangerous-direct-browser-access': 'true',
  'x-app': 'cli',
  'x-stainless-lang': 'js',
};

const claudeProvider = providerFor('claude');
const codexProvider = providerFor('codex');
const openaiCompatibilityProvider = providerFor('openai-compatibility');

const call = (o: Partial<UpstreamCall>): UpstreamCall => ({
  model: 'm',
  stream: true,
  action: 'generate',
  token: 'sk-upstream-secret',
  oauth: false,
  ...o,
});

describe(forwardFeatureHeaders.name, () => {
  it("should merge the client's anthropic-beta with the OAuth beta, deduplicated, in order", () => {
    const headers = claudeProvider.headers(call({ oauth: true }));
    forwardFeatureHeaders(
      headers,
      {
        headers: {
          ...CLAUDE_CODE_HEADERS,
          'anthropic-beta': 'oauth-2025-04-20, claude-code-20250219',
        },
        url: '/v1/messages?beta=true',
      },
      { format: 'claude', oauth: true, configured: {} },
    );
    expect(headers['anthropic-beta']).toBe('oauth-2025-04-20,claude-code-20250219');
    expect(headers.authorization).toBe('Bearer sk-upstream-secret');
  });

  it('should forward the betas and version Claude Code sends, and nothing that is not a feature', () => {
    const headers = claudeProvider.headers(call({}));
    const before = { ...headers };
    forwardFeatureHeaders(
      headers,
      {
        headers: { ...CLAUDE_CODE_HEADERS, 'anthropic-version': '2024-01-01' },
        url: '/v1/messages',
      },
      { format: 'claude', oauth: false, configured: {} },
    );
    expect(headers).toEqual({
      ...before,
      'anthropic-version': '2024-01-01',
      'anthropic-beta': CLAUDE_CODE_HEADERS['anthropic-beta'],
    });
    // The gateway's credential, never the client's key, cookie or hop-by-hop headers.
    expect(headers['x-api-key']).toBe('sk-upstream-secret');
    for (const name of ['authorization', 'cookie', 'connection', 'proxy-authorization', 'x-app']) {
      expect(headers).not.toHaveProperty(name);
    }
  });

  it("should drop a client's OAuth beta for an API-key credential (the gateway owns auth)", () => {
    const headers = claudeProvider.headers(call({}));
    forwardFeatureHeaders(
      headers,
      { headers: { 'anthropic-beta': 'oauth-2025-04-20,files-api-2025-04-14' }, url: '/' },
      { format: 'claude', oauth: false, configured: {} },
    );
    expect(headers['anthropic-beta']).toBe('files-api-2025-04-14');
  });

  it('should keep what the operator configured on the credential', () => {
    const configured = { 'Anthropic-Version': '2023-01-01', 'anthropic-beta': 'ops-beta' };
    const headers = claudeProvider.headers(call({ headers: configured }));
    forwardFeatureHeaders(
      headers,
      { headers: { 'anthropic-version': '2099-01-01', 'anthropic-beta': 'client-beta' }, url: '/' },
      { format: 'claude', oauth: false, configured },
    );
    expect(headers['anthropic-version']).toBe('2023-01-01');
    expect(headers['anthropic-beta']).toBe('ops-beta,client-beta');
  });

  it('should merge OpenAI-Beta for OpenAI-family upstreams and forward Codex session headers', () => {
    const client = {
      'openai-beta': 'responses=experimental,assistants=v2',
      session_id: 'sess-1',
      'x-codex-turn-metadata': '{"turn":1}',
      'x-codex-secret-ish': 'still a codex header',
      authorization: 'Bearer sk-client',
      originator: 'codex_cli_rs',
    };
    const codex = codexProvider.headers(call({ oauth: true, accountId: 'acct' }));
    forwardFeatureHeaders(
      codex,
      { headers: client, url: '/v1/responses' },
      { format: 'codex', oauth: true, configured: {} },
    );
    expect(codex['openai-beta']).toBe('responses=experimental,assistants=v2');
    expect(codex.session_id).toBe('sess-1');
    expect(codex['x-codex-turn-metadata']).toBe('{"turn":1}');
    expect(codex.authorization).toBe('Bearer sk-upstream-secret');

    const chat = openaiCompatibilityProvider.headers(call({}));
    forwardFeatureHeaders(
      chat,
      { headers: client, url: '/v1/chat/completions' },
      { format: 'openai', oauth: false, configured: {} },
    );
    expect(chat['openai-beta']).toBe('responses=experimental,assistants=v2');
    expect(chat).not.toHaveProperty('session_id');
    expect(chat.authorization).toBe('Bearer sk-upstream-secret');
  });

  it('should forward no client header to a Gemini upstream', () => {
    const headers = { 'x-goog-api-key': 'up' };
    forwardFeatureHeaders(
      headers,
      { headers: { ...CLAUDE_CODE_HEADERS, 'openai-beta': 'x' }, url: '/' },
      { format: 'gemini', oauth: false, configured: {} },
    );
    expect(headers).toEqual({ 'x-goog-api-key': 'up' });
  });
});

describe(forwardFeatureQuery.name, () => {
  it('should keep ?beta=true for Claude upstreams only', () => {
    const client = { headers: {}, url: '/v1/messages?beta=true' };
    expect(forwardFeatureQuery('https://api.anthropic.com/v1/messages', client, 'claude')).toBe(
      'https://api.anthropic.com/v1/messages?beta=true',
    );
    expect(forwardFeatureQuery('https://x/v1/chat/completions', client, 'openai')).toBe(
      'https://x/v1/chat/completions',
    );
    expect(
      forwardFeatureQuery('https://a/v1/messages', { headers: {}, url: '/v1/messages' }, 'claude'),
    ).toBe('https://a/v1/messages');
  });
});
