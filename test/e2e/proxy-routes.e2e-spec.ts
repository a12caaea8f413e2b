import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { ConfigService } from '@app/config';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import { clearRoutingState, getJson, postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-client-routes';
const BEARER = { authorization: `Bearer ${CLIENT_KEY}` };

const PREFIX = uniquePrefix('routes');

function config(fakeUrl: string, geminiCli: boolean): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${PREFIX}"
enable-gemini-cli-endpoint: ${geminiCli}
body-limit-mb: 1
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "r-openai"
    models:
      - name: gpt-r
      - name: shared-model
claude-api-key:
  - api-key: "r-claude"
    base-url: "${fakeUrl}"
    models:
      - name: claude-r
      - name: shared-model
gemini-api-key:
  - api-key: "r-gemini"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-r
codex-api-key:
  - api-key: "r-codex"
    base-url: "${fakeUrl}/backend-api/codex"
    models:
      - name: codex-r
`;
}

describe('proxy routes: count tokens, compact, Gemini CLI, provider pins, model lists', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let genai: GoogleGenAI;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url, false), 'gateway-routes');
    openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url, maxRetries: 0 });
    genai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gw.url } });
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

  describe('count tokens', () => {
    it('should use the Claude count_tokens endpoint with a body it accepts', async () => {
      const res = await anthropic.messages.countTokens({
        model: 'claude-r',
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'count these words please' }],
      });
      const rec = fake.lastRequest()!;
      expect(rec.path).toBe('/v1/messages/count_tokens');
      expect(rec.apiKey).toBe('r-claude');
      const body = rec.body as Record<string, unknown>;
      expect(body.model).toBe('claude-r');
      for (const dropped of ['max_tokens', 'stream', 'temperature']) {
        expect(body).not.toHaveProperty(dropped);
      }
      expect(rec.status).toBe(200);
      expect(res.input_tokens).toBeGreaterThan(0);
    });

    it('should estimate locally, and say so, when the upstream has no counting endpoint', async () => {
      const { data, response } = await anthropic.messages
        .countTokens({
          model: 'gpt-r',
          messages: [{ role: 'user', content: 'count these words please' }],
        })
        .withResponse();
      expect(data.input_tokens).toBeGreaterThan(3);
      expect(response.headers.get('x-switchboard-token-count')).toBe('estimate');
      expect(fake.requests()).toHaveLength(0);
    });

    it("should ask Gemini's countTokens for a Claude count of a Gemini-served model", async () => {
      fake.onRequest(() => ({ status: 200, body: { totalTokens: 4242 } }));
      const { data, response } = await anthropic.messages
        .countTokens({
          model: 'gemini-r',
          messages: [{ role: 'user', content: 'count these words please' }],
        })
        .withResponse();
      expect(data).toEqual({ input_tokens: 4242 });
      expect(response.headers.get('x-switchboard-token-count')).toBeNull();
      const rec = fake.lastRequest()!;
      expect(rec.path).toBe('/v1beta/models/gemini-r:countTokens');
      expect(rec.apiKey).toBe('r-gemini');
    });

    it('should use the Gemini countTokens endpoint natively', async () => {
      const res = await genai.models.countTokens({
        model: 'gemini-r',
        contents: 'how many tokens is this',
      });
      const rec = fake.lastRequest()!;
      expect(rec.path).toBe('/v1beta/models/gemini-r:countTokens');
      expect(rec.apiKey).toBe('r-gemini');
      expect(res.totalTokens).toBeGreaterThan(0);
    });

    it("should ask Claude's count_tokens for a Gemini count of a Claude-served model", async () => {
      fake.onRequest(() => ({ status: 200, body: { input_tokens: 321 } }));
      const res = await genai.models.countTokens({
        model: 'claude-r',
        contents: 'how many tokens is this',
      });
      expect(res.totalTokens).toBe(321);
      const rec = fake.lastRequest()!;
      expect(rec.path).toBe('/v1/messages/count_tokens');
      expect(rec.apiKey).toBe('r-claude');
      expect(rec.body).toMatchObject({ model: 'claude-r', messages: [{ role: 'user' }] });
    });
  });

  describe('/v1/responses/compact', () => {
    it('should relay a compaction from a Codex upstream', async () => {
      const res = await openai.responses.compact({
        model: 'codex-r',
        input: [{ role: 'user', content: 'remember the password is swordfish' }],
      });
      const rec = fake.lastRequest()!;
      expect(rec.path).toBe('/backend-api/codex/responses/compact');
      expect(rec.apiKey).toBe('r-codex');
      expect((rec.body as { model: string }).model).toBe('codex-r');
      expect(res.object).toBe('response.compaction');
      expect(JSON.stringify(res.output)).toContain('swordfish');
    });

    it('should refuse compact for a model without a Responses upstream', async () => {
      const res = await postJson(
        `${gw.url}/v1/responses/compact`,
        { model: 'claude-r', input: 'hi' },
        BEARER,
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { message: expect.stringContaining('OpenAI Responses or Codex upstream') },
      });
      expect(fake.requests()).toHaveLength(0);
    });
  });

  describe('/v1internal (Gemini CLI endpoint)', () => {
    const body = {
      model: 'gemini-r',
      project: 'p-1',
      request: { contents: [{ role: 'user', parts: [{ text: 'from the cli' }] }] },
    };

    it('should answer 404 with how to enable it while enable-gemini-cli-endpoint is off', async () => {
      const res = await postJson(`${gw.url}/v1internal:generateContent`, body, BEARER);
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({
        error: { code: 404, message: expect.stringContaining('enable-gemini-cli-endpoint') },
      });
    });

    it('should serve Code Assist envelopes once enabled', async () => {
      const cfg = gw.app.get(ConfigService);
      expect((await cfg.writeText(config(fake.url, true))).ok).toBe(true);
      try {
        const res = await postJson(`${gw.url}/v1internal:generateContent`, body, BEARER);
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({
          response: {
            candidates: [{ content: { parts: [{ text: 'echo: from the cli' }] } }],
          },
        });
        expect(fake.lastRequest()!.path).toBe('/v1beta/models/gemini-r:generateContent');
      } finally {
        await cfg.writeText(config(fake.url, false));
      }
    });
  });

  describe('/api/provider/:provider pins', () => {
    const ask = (path: string) =>
      postJson(
        `${gw.url}${path}`,
        { model: 'shared-model', messages: [{ role: 'user', content: 'pinned' }] },
        BEARER,
      );

    it('should send a pinned request to the named provider only', async () => {
      expect((await ask('/api/provider/anthropic/v1/chat/completions')).status).toBe(200);
      expect((await ask('/api/provider/claude/chat/completions')).status).toBe(200);
      expect((await ask('/api/provider/openai/v1/chat/completions')).status).toBe(200);
      expect(fake.requests().map((r) => r.path)).toEqual([
        '/v1/messages',
        '/v1/messages',
        '/v1/chat/completions',
      ]);
    });

    it('should list only the pinned provider models', async () => {
      const res = await getJson(`${gw.url}/api/provider/claude/v1/models`, BEARER);
      const ids = (res.json as { data: { id: string }[] }).data.map((m) => m.id).sort();
      expect(ids).toEqual(['claude-r', 'shared-model']);
    });

    it('should answer 400 model_not_found when the pinned provider does not serve the model', async () => {
      const res = await postJson(
        `${gw.url}/api/provider/gemini/v1/chat/completions`,
        { model: 'gpt-r', messages: [{ role: 'user', content: 'x' }] },
        BEARER,
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: {
          message: 'unknown provider for model gpt-r (provider gemini)',
          type: 'invalid_request_error',
          code: 'model_not_found',
          param: 'model',
        },
      });
      expect(fake.requests()).toHaveLength(0);
    });
  });

  describe('model lists', () => {
    it('should list Claude-style for any client that sends anthropic-version', async () => {
      const res = await getJson(`${gw.url}/v1/models?beta=true`, {
        'x-api-key': CLIENT_KEY,
        'anthropic-version': '2023-06-01',
      });
      expect(res.status).toBe(200);
      const body = res.json as { data: { type: string; id: string }[]; has_more: boolean };
      expect(body.has_more).toBe(false);
      expect(body.data.every((m) => m.type === 'model')).toBe(true);
      expect(res.json).not.toHaveProperty('object');
      const denied = await getJson(`${gw.url}/v1/models`, { 'anthropic-version': '2023-06-01' });
      expect(denied.status).toBe(401);
      expect(denied.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    });

    it('should list OpenAI-style, or Claude-style for claude-cli user agents', async () => {
      const plain = await getJson(`${gw.url}/v1/models`, BEARER);
      expect(plain.json).toMatchObject({ object: 'list' });
      const ids = (plain.json as { data: { id: string }[] }).data.map((m) => m.id);
      expect(ids).toEqual(
        expect.arrayContaining(['gpt-r', 'claude-r', 'gemini-r', 'codex-r', 'shared-model']),
      );

      const claude = await getJson(`${gw.url}/v1/models`, {
        ...BEARER,
        'user-agent': 'claude-cli/2.0.14 (external, cli)',
      });
      const body = claude.json as {
        data: { type: string; id: string; display_name: string; created_at: string }[];
        has_more: boolean;
        first_id: string;
        last_id: string;
      };
      expect(body.has_more).toBe(false);
      expect(body.data[0]).toMatchObject({ type: 'model', id: body.first_id });
      expect(body.data[body.data.length - 1].id).toBe(body.last_id);
      expect(Date.parse(body.data[0].created_at)).not.toBeNaN();
    });

    it('should list Gemini-style under /v1beta/models and describe one model', async () => {
      const list = await getJson(`${gw.url}/v1beta/models`, { 'x-goog-api-key': CLIENT_KEY });
      const names = (list.json as { models: { name: string }[] }).models.map((m) => m.name);
      expect(names).toContain('models/gemini-r');

      const one = await getJson(`${gw.url}/v1beta/models/gemini-r`, {
        'x-goog-api-key': CLIENT_KEY,
      });
      expect(one.status).toBe(200);
      expect(one.json).toMatchObject({
        name: 'models/gemini-r',
        supportedGenerationMethods: expect.arrayContaining(['generateContent']),
      });
      const missing = await getJson(`${gw.url}/v1beta/models/nope`, {
        'x-goog-api-key': CLIENT_KEY,
      });
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    });
  });

  it('should send a thinking suffix as reasoning settings, not as part of the model', async () => {
    await openai.chat.completions.create({
      model: 'claude-r(2048)',
      messages: [{ role: 'user', content: 'think' }],
    });
    const body = fake.lastRequest()!.body as {
      model: string;
      thinking?: { budget_tokens?: number };
    };
    expect(body.model).toBe('claude-r');
    expect(body.thinking?.budget_tokens).toBe(2048);
  });

  it('should serve legacy completions through the OpenAI client', async () => {
    const res = await openai.completions.create({ model: 'claude-r', prompt: 'old school' });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0].text).toBe('echo: old school');
    expect(fake.lastRequest()!.path).toBe('/v1/messages');
  });

  it('should refuse a body over body-limit-mb with a 413 in the client format', async () => {
    const big = 'x'.repeat(1.2 * 1024 * 1024);
    const res = await postJson(
      `${gw.url}/v1/messages`,
      { model: 'claude-r', max_tokens: 5, messages: [{ role: 'user', content: big }] },
      { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({
      type: 'error',
      error: { message: expect.stringContaining('body-limit-mb') },
    });
    expect(fake.requests()).toHaveLength(0);
  });
});
