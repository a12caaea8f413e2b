import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';

const CLIENT_KEY = 'sk-client-matrix';

/** One upstream family, served by the fake under its own model name. */
const UPSTREAMS = [
  { family: 'openai-compatible', model: 'gpt-fake' },
  { family: 'claude', model: 'claude-fake' },
  { family: 'gemini', model: 'gemini-fake' },
  { family: 'codex', model: 'codex-fake' },
] as const;

function configFor(fakeUrl: string): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('matrix')}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "up-openai-key"
    models:
      - name: gpt-fake
claude-api-key:
  - api-key: "up-claude-key"
    base-url: "${fakeUrl}"
    models:
      - name: claude-fake
gemini-api-key:
  - api-key: "up-gemini-key"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-fake
codex-api-key:
  - api-key: "up-codex-key"
    base-url: "${fakeUrl}/backend-api/codex"
    models:
      - name: codex-fake
`;
}

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
  },
};

describe('proxy: every client format × upstream family (official SDKs)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let genai: GoogleGenAI;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(configFor(fake.url), 'gateway-matrix');
    openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url, maxRetries: 0 });
    genai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gw.url } });
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  describe.each(UPSTREAMS)('upstream $family ($model)', ({ model }) => {
    it('should answer OpenAI chat, non-stream', async () => {
      const res = await openai.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello there' },
        ],
      });
      expect(res.choices[0].message.content).toBe('echo: hello there');
      expect(res.choices[0].finish_reason).toBe('stop');
      expect(res.model).toBe(model);
      expect(res.usage?.total_tokens).toBeGreaterThan(0);
    });

    it('should stream OpenAI chat with usage', async () => {
      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null = null;
      let usage = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage?.total_tokens ?? usage;
      }
      expect(text).toBe('echo: stream please');
      expect(finish).toBe('stop');
      expect(usage).toBeGreaterThan(0);
    });

    it('should carry an OpenAI tool call with parsed arguments', async () => {
      const res = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'please call tool now' }],
        tools: [{ type: 'function', function: weatherTool }],
      });
      const call = res.choices[0].message.tool_calls?.[0];
      expect(res.choices[0].finish_reason).toBe('tool_calls');
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
        query: 'please call tool now',
      });
    });

    it('should stream an OpenAI tool call whose arguments assemble', async () => {
      const stream = openai.chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'call tool in a stream' }],
        tools: [{ type: 'function', function: weatherTool }],
      });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0].message.tool_calls?.[0];
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
        query: 'call tool in a stream',
      });
      expect(final.choices[0].finish_reason).toBe('tool_calls');
    });

    it('should answer Claude messages, non-stream and stream', async () => {
      const msg = await anthropic.messages.create({
        model,
        max_tokens: 256,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'hi claude' }],
      });
      expect(msg.content[0].type === 'text' && msg.content[0].text).toBe('echo: hi claude');
      expect(msg.stop_reason).toBe('end_turn');
      expect(msg.usage.output_tokens).toBeGreaterThan(0);

      const final = await anthropic.messages
        .stream({
          model,
          max_tokens: 256,
          messages: [{ role: 'user', content: 'streamed claude' }],
        })
        .finalMessage();
      expect(final.content[0].type === 'text' && final.content[0].text).toBe(
        'echo: streamed claude',
      );
    });

    it('should carry a Claude tool_use in a stream', async () => {
      const final = await anthropic.messages
        .stream({
          model,
          max_tokens: 256,
          messages: [{ role: 'user', content: 'call tool from claude' }],
          tools: [
            {
              name: weatherTool.name,
              description: weatherTool.description,
              input_schema: weatherTool.parameters as Anthropic.Tool.InputSchema,
            },
          ],
        })
        .finalMessage();
      const use = final.content.find((b) => b.type === 'tool_use');
      expect(use?.type === 'tool_use' && use.input).toEqual({ query: 'call tool from claude' });
      expect(final.stop_reason).toBe('tool_use');
    });

    it('should answer Gemini generateContent and streamGenerateContent', async () => {
      const res = await genai.models.generateContent({ model, contents: 'gemini hello' });
      expect(res.text).toBe('echo: gemini hello');
      expect(res.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
      let text = '';
      for await (const chunk of await genai.models.generateContentStream({
        model,
        contents: 'gemini stream',
      })) {
        text += chunk.text ?? '';
      }
      expect(text).toBe('echo: gemini stream');
    });

    it('should answer OpenAI Responses, non-stream and stream', async () => {
      const res = await openai.responses.create({ model, input: 'responses hello' });
      expect(res.output_text).toBe('echo: responses hello');
      const final = await openai.responses
        .stream({ model, input: 'responses stream' })
        .finalResponse();
      expect(final.output_text).toBe('echo: responses stream');
    });
  });

  it('should send the upstream its own key, never the client key', async () => {
    await openai.chat.completions.create({
      model: 'claude-fake',
      messages: [{ role: 'user', content: 'k' }],
    });
    const rec = fake.lastRequest()!;
    expect(rec.headers['x-api-key']).toBe('up-claude-key');
    expect(JSON.stringify(rec.headers)).not.toContain(CLIENT_KEY);
  });

  it('should refuse a wrong client key in the caller format', async () => {
    const bad = new Anthropic({ apiKey: 'nope', baseURL: gw.url, maxRetries: 0 });
    await expect(
      bad.messages.create({
        model: 'claude-fake',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('should list exactly the served models', async () => {
    const list = await openai.models.list();
    const ids = list.data.map((m) => m.id).sort();
    expect(ids).toEqual(['claude-fake', 'codex-fake', 'gemini-fake', 'gpt-fake']);
  });
});
