import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { catalogModel } from '@app/routing';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import { clearRoutingState, getJson, postJson } from './proxy-e2e.helpers';

// A real user's config: API keys with no `models:` list. Model names newer than the built-in
// catalog (Claude Code's default model, the next Gemini release) are served by the credentials
// whose vendor owns the family, forwarded as sent; the upstream decides whether they exist.

const CLIENT_KEY = 'sk-client-family';
const CLAUDE_CODE_DEFAULT = 'claude-opus-5-5';
const NEW_GEMINI = 'gemini-9-flash';

function config(fakeUrl: string): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('family')}"
claude-api-key:
  - api-key: "up-claude-key"
    base-url: "${fakeUrl}"
gemini-api-key:
  - api-key: "up-gemini-key"
    base-url: "${fakeUrl}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "up-openai-key"
    models:
      - name: gpt-up
        alias: gpt-team
`;
}

/** What Claude Code sends for its default model: betas, unknown fields and a system turn. */
function claudeCodeBody(model: string): Record<string, unknown> {
  return {
    model,
    max_tokens: 32000,
    system: [{ type: 'text', text: 'You are Claude Code.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hello' }] },
      { role: 'system', content: 'The user switched to plan mode.' },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi.' }] },
      { role: 'user', content: [{ type: 'text', text: 'and now?' }] },
    ],
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
  };
}

const CLAUDE_HEADERS = {
  'x-api-key': CLIENT_KEY,
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,mid-conversation-system-2026-04-07',
  'user-agent': 'claude-cli/2.1.332 (external, cli)',
};

describe('proxy: model names newer than the catalog (native family fallback)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    // The premise: no catalog lists these names, so only the family fallback can serve them.
    expect(catalogModel(CLAUDE_CODE_DEFAULT)).toBeUndefined();
    expect(catalogModel(NEW_GEMINI)).toBeUndefined();
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url), 'gateway-family');
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  beforeEach(async () => {
    fake.reset();
    fake.clearRequests();
    await clearRoutingState(gw);
  });

  it("should serve Claude Code's default model on a Claude key without models, body as sent", async () => {
    const body = claudeCodeBody(CLAUDE_CODE_DEFAULT);
    const res = await postJson(`${gw.url}/v1/messages?beta=true`, body, CLAUDE_HEADERS);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 'message', role: 'assistant' });
    const rec = fake.lastRequest();
    expect(rec?.path).toBe('/v1/messages');
    expect(rec?.apiKey).toBe('up-claude-key');
    // Same-format pass-through, and the name is the upstream name: the body arrives unchanged.
    expect(rec?.rawBody).toBe(JSON.stringify(body));
    expect(rec?.headers['anthropic-beta']).toBe(CLAUDE_HEADERS['anthropic-beta']);
  });

  it('should stream it through the Anthropic SDK', async () => {
    const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url });
    const stream = client.messages.stream({
      model: CLAUDE_CODE_DEFAULT,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream please' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'echo: stream please' });
    expect(fake.lastRequest()).toMatchObject({
      model: CLAUDE_CODE_DEFAULT,
      apiKey: 'up-claude-key',
      stream: true,
    });
  });

  it('should serve it to an OpenAI client too, translated for the Claude upstream', async () => {
    const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1` });
    const res = await openai.chat.completions.create({
      model: `${CLAUDE_CODE_DEFAULT}(high)`,
      messages: [{ role: 'user', content: 'hi there' }],
    });
    expect(res.choices[0].message.content).toBe('echo: hi there');
    const rec = fake.lastRequest();
    expect(rec).toMatchObject({ path: '/v1/messages', model: CLAUDE_CODE_DEFAULT });
    // The thinking suffix became Claude's reasoning setting.
    expect(rec?.body).toHaveProperty('thinking');
  });

  it('should serve a new Gemini name on a Gemini key without models', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hello gemini' }] }] };
    const res = await postJson(`${gw.url}/v1beta/models/${NEW_GEMINI}:generateContent`, body, {
      'x-goog-api-key': CLIENT_KEY,
    });
    expect(res.status).toBe(200);
    const rec = fake.lastRequest();
    expect(rec?.path).toBe(`/v1beta/models/${NEW_GEMINI}:generateContent`);
    expect(rec?.apiKey).toBe('up-gemini-key');
    expect(rec?.rawBody).toBe(JSON.stringify(body));
  });

  it('should not list family names, only catalog and explicit ones', async () => {
    const openaiList = await getJson(`${gw.url}/v1/models`, {
      authorization: `Bearer ${CLIENT_KEY}`,
    });
    const ids = (openaiList.json as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'claude-opus-5',
        'claude-sonnet-4-6',
        'gemini-3.5-flash',
        'gpt-team',
      ]),
    );
    expect(ids).not.toContain(CLAUDE_CODE_DEFAULT);
    expect(ids).not.toContain(NEW_GEMINI);
  });

  it('should still answer 400 model_not_found for a name no credential family owns', async () => {
    // gpt-* belongs to Codex/OpenAI credentials: the OpenAI-compatible entry serves only its list.
    for (const model of ['gpt-7', 'llama-9-70b']) {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        { model, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${CLIENT_KEY}` },
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { code: 'model_not_found', message: `unknown provider for model ${model}` },
      });
    }
    const pinned = await postJson(
      `${gw.url}/api/provider/gemini/v1/messages`,
      claudeCodeBody(CLAUDE_CODE_DEFAULT),
      CLAUDE_HEADERS,
    );
    expect(pinned.status).toBe(400);
    expect(fake.requests()).toHaveLength(0);
  });

  it("should relay the upstream's 404 for a name that does not exist, every time (no cooldown)", async () => {
    const missing = 'claude-opus-9-9';
    fake.fail({ status: 404, times: 2, match: { model: missing } });
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${gw.url}/v1/messages`, claudeCodeBody(missing), CLAUDE_HEADERS);
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
    expect(fake.requests().filter((r) => r.model === missing)).toHaveLength(2);
    // The name is fine the moment the upstream serves it.
    const ok = await postJson(`${gw.url}/v1/messages`, claudeCodeBody(missing), CLAUDE_HEADERS);
    expect(ok.status).toBe(200);
  });
});
