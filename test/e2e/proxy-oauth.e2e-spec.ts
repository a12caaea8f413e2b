import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { FakeUpstream, type RecordedRequest } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import { sseEvents, postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-client-oauth';
const FAR_FUTURE = '2099-01-01T00:00:00Z';

/** A JWT-shaped token with these claims (unsigned: the gateway only reads claims). */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** Auth files in CLIProxyAPI's formats, one per OAuth upstream. */
function authFiles(fakeUrl: string): Record<string, object> {
  return {
    'gemini-cli@example.com-cli-project-7.json': {
      type: 'gemini',
      email: 'cli@example.com',
      project_id: 'cli-project-7',
      token: { access_token: 'ya29.cli-token', refresh_token: '1//r', expiry: FAR_FUTURE },
    },
    'antigravity-agy@example.com.json': {
      type: 'antigravity',
      email: 'agy@example.com',
      project_id: 'agy-project-3',
      access_token: 'ya29.agy-token',
      refresh_token: '1//r',
      expired: FAR_FUTURE,
    },
    'claude-max@example.com.json': {
      type: 'claude',
      email: 'max@example.com',
      access_token: 'sk-ant-oat01-oauth-token',
      refresh_token: 'sk-ant-ort01-r',
      expired: FAR_FUTURE,
    },
    'codex-plus@example.com.json': {
      type: 'codex',
      email: 'plus@example.com',
      access_token: jwt({ exp: 4070908800, sub: 'u' }),
      refresh_token: 'rt_1',
      id_token: jwt({
        email: 'plus@example.com',
        'https://api.openai.com/auth': {
          chatgpt_account_id: 'acct-77',
          chatgpt_plan_type: 'plus',
        },
      }),
      expired: FAR_FUTURE,
    },
    'qwen-q@example.com.json': {
      type: 'qwen',
      email: 'q@example.com',
      access_token: 'qwen-token',
      refresh_token: 'r',
      // A scheme in resource_url is kept (plain http to the fake); it beats provider-base-urls.
      resource_url: fakeUrl,
      expired: FAR_FUTURE,
    },
    'iflow-i@example.com.json': {
      type: 'iflow',
      email: 'i@example.com',
      api_key: 'sk-iflow-key',
      access_token: 'iflow-access',
      refresh_token: 'r',
      expired: FAR_FUTURE,
    },
    'kimi-device-9.json': {
      type: 'kimi',
      access_token: 'kimi-token',
      refresh_token: 'r',
      device_id: 'device-9',
      expired: FAR_FUTURE,
    },
  };
}

describe('proxy: OAuth upstreams from auth-dir files', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let authDir: string;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-auth-'));
    for (const [name, data] of Object.entries(authFiles(fake.url))) {
      writeFileSync(join(authDir, name), JSON.stringify(data));
    }
    gw = await startGateway(
      `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('oauth')}"
auth-dir: "${authDir}"
provider-base-urls:
  gemini-cli: "${fake.url}"
  antigravity: "${fake.url}"
  claude: "${fake.url}"
  codex: "${fake.url}/backend-api/codex"
  iflow: "${fake.url}/v1"
  kimi: "${fake.url}/coding/v1"
  qwen: "http://127.0.0.1:9"
`,
      'gateway-oauth',
    );
    openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  /** One non-stream chat through the gateway; returns what the fake saw. */
  async function call(model: string): Promise<RecordedRequest> {
    const res = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `hi ${model}` }],
    });
    expect(res.choices[0].message.content).toBe(`echo: hi ${model}`);
    expect(fake.requests()).toHaveLength(1);
    return fake.requests()[0];
  }

  it('should list the catalog models of every account', async () => {
    const ids = (await openai.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'gemini-2.5-pro',
        'gemini-pro-agent',
        'claude-sonnet-4-5-20250929',
        'gpt-5.5',
        'qwen3-coder-flash',
        'glm-4.6',
        'kimi-k2-thinking',
      ]),
    );
  });

  it('should call Gemini CLI through Code Assist with the project from the auth file', async () => {
    const rec = await call('gemini-2.5-pro');
    expect(rec.path).toBe('/v1internal:generateContent');
    expect(rec.headers.authorization).toBe('Bearer ya29.cli-token');
    expect(rec.body).toMatchObject({
      model: 'gemini-2.5-pro',
      project: 'cli-project-7',
      request: { contents: [{ role: 'user', parts: [{ text: 'hi gemini-2.5-pro' }] }] },
    });
  });

  it('should stream from Gemini CLI (streamGenerateContent with alt=sse)', async () => {
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: 'flow' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    const rec = fake.lastRequest()!;
    expect(rec.path).toBe('/v1internal:streamGenerateContent');
    expect(rec.query.alt).toBe('sse');
    const text = sseEvents(res.text)
      .filter((e) => e.data.startsWith('{'))
      .map((e) => (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices)
      .map((c) => c[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('echo: flow');
  });

  it('should call Antigravity with its envelope, project and user agent', async () => {
    const rec = await call('gemini-pro-agent');
    expect(rec.path).toBe('/v1internal:generateContent');
    expect(rec.headers.authorization).toBe('Bearer ya29.agy-token');
    expect(String(rec.headers['user-agent'])).toMatch(/^antigravity\//);
    expect(rec.body).toMatchObject({ model: 'gemini-pro-agent', project: 'agy-project-3' });
  });

  it('should call Claude with the OAuth token as Bearer and the oauth beta', async () => {
    const rec = await call('claude-sonnet-4-5-20250929');
    expect(rec.path).toBe('/v1/messages');
    expect(rec.headers.authorization).toBe('Bearer sk-ant-oat01-oauth-token');
    expect(rec.headers['x-api-key']).toBeUndefined();
    expect(String(rec.headers['anthropic-beta'])).toContain('oauth');
  });

  it("should merge a Claude client's betas with the OAuth beta, once each, and forward the body", async () => {
    const body = {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'oauth pass-through' }],
      context_management: { edits: [] },
    };
    const res = await postJson(`${gw.url}/v1/messages?beta=true`, body, {
      'x-api-key': CLIENT_KEY,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20,mid-conversation-system-2026-04-07',
    });
    expect(res.status).toBe(200);
    const rec = fake.lastRequest()!;
    expect(rec.headers.authorization).toBe('Bearer sk-ant-oat01-oauth-token');
    expect(rec.headers['x-api-key']).toBeUndefined();
    expect(rec.headers['anthropic-beta']).toBe(
      'oauth-2025-04-20,claude-code-20250219,mid-conversation-system-2026-04-07',
    );
    expect(rec.rawBody).toBe(JSON.stringify(body));
  });

  it('should forward a Gemini client body into the Code Assist envelope and answer without it', async () => {
    const body = {
      contents: [{ role: 'user', parts: [{ text: 'enveloped' }] }],
      generationConfig: { temperature: 0.5 },
      someFutureField: { on: true },
    };
    const whole = await postJson(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, body, {
      'x-goog-api-key': CLIENT_KEY,
    });
    expect(whole.status).toBe(200);
    expect(whole.json).not.toHaveProperty('response');
    expect(whole.json).toMatchObject({
      candidates: [{ content: { parts: [{ text: 'echo: enveloped' }] } }],
    });
    const rec = fake.lastRequest()!;
    expect(rec.path).toBe('/v1internal:generateContent');
    expect(rec.body).toEqual({ model: 'gemini-2.5-pro', project: 'cli-project-7', request: body });

    const streamed = await postJson(
      `${gw.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`,
      body,
      { 'x-goog-api-key': CLIENT_KEY },
    );
    const chunks = sseEvents(streamed.text).map(
      (e) => JSON.parse(e.data) as { candidates: { content: { parts: { text?: string }[] } }[] },
    );
    expect(chunks.every((c) => !('response' in c))).toBe(true);
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text ?? '').join('')).toBe(
      'echo: enveloped',
    );
  });

  it('should call Codex with the ChatGPT account id header', async () => {
    const rec = await call('gpt-5-codex');
    expect(rec.path).toBe('/backend-api/codex/responses');
    expect(rec.headers['chatgpt-account-id']).toBe('acct-77');
    expect(String(rec.headers.authorization)).toMatch(/^Bearer ey/);
    expect(rec.stream).toBe(true);
  });

  it('should call Qwen at the account resource_url', async () => {
    const rec = await call('qwen3-coder-flash');
    expect(rec.path).toBe('/v1/chat/completions');
    expect(rec.headers.authorization).toBe('Bearer qwen-token');
  });

  it('should call iFlow with the account API key', async () => {
    const rec = await call('glm-4.6');
    expect(rec.path).toBe('/v1/chat/completions');
    expect(rec.headers.authorization).toBe('Bearer sk-iflow-key');
  });

  it('should call Kimi at the overridden base URL', async () => {
    const rec = await call('kimi-k2-thinking');
    expect(rec.path).toBe('/coding/v1/chat/completions');
    expect(rec.headers.authorization).toBe('Bearer kimi-token');
  });
});
