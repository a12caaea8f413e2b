import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FakeUpstream, type RecordedRequest } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import { captureUsage, clearRoutingState, postJson, sseEvents } from './proxy-e2e.helpers';

// Same-format pass-through (issue 16): a body reaches an upstream of its own format as the client
// sent it but for the model, answers come back as the upstream sent them; cross-format calls keep
// translating, with Claude Code's mid-conversation system messages as <system-reminder> turns.

const CLIENT_KEY = 'sk-client-passthrough';

function config(fakeUrl: string): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('passthrough')}"
claude-api-key:
  - api-key: "up-claude-key"
    base-url: "${fakeUrl}"
    models:
      - name: claude-up
        alias: claude-team
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "up-openai-key"
    models:
      - name: gpt-up
        alias: gpt-team
codex-api-key:
  - api-key: "up-codex-key"
    base-url: "${fakeUrl}/backend-api/codex"
    models:
      - name: codex-up
        alias: codex-team
gemini-api-key:
  - api-key: "up-gemini-key"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-up
        alias: gemini-team
`;
}

/** What Claude Code 2.1 sends for a turn with tools, betas and a mid-conversation system message. */
function claudeCodeBody(model: string, stream: boolean): Record<string, unknown> {
  return {
    model,
    max_tokens: 32000,
    stream,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332' },
      { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'list the files' }] },
      { role: 'system', content: 'The user switched to plan mode.' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should look.', signature: 'sig-1' },
          { type: 'text', text: 'Looking.' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'and now?', cache_control: { type: 'ephemeral', ttl: '1h' } },
          { type: 'a_block_type_from_next_year', payload: { n: 1 } },
        ],
      },
    ],
    tools: [
      { name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
    ],
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
    metadata: { user_id: 'user_abc_account__session_123' },
  };
}

const CLAUDE_CODE_HEADERS = {
  'x-api-key': CLIENT_KEY,
  'anthropic-version': '2023-06-01',
  'anthropic-beta':
    'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,mid-conversation-system-2026-04-07',
  'anthropic-dangerous-direct-browser-access': 'true',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.332 (external, cli)',
  cookie: 'session=client-cookie',
};

/** The body the upstream got, as text, must be the client's with only the model replaced. */
function expectForwarded(rec: RecordedRequest | undefined, client: unknown, upstreamModel: string) {
  expect(rec).toBeDefined();
  expect(rec?.rawBody).toBe(
    JSON.stringify({ ...(client as Record<string, unknown>), model: upstreamModel }),
  );
}

describe('proxy: same-format pass-through and what current clients send', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url), 'gateway-passthrough');
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

  describe('Claude → Claude', () => {
    it('should forward a Claude Code body byte for byte but the model, with its betas and ?beta=true', async () => {
      const body = claudeCodeBody('claude-team', false);
      const res = await postJson(`${gw.url}/v1/messages?beta=true`, body, CLAUDE_CODE_HEADERS);
      expect(res.status).toBe(200);
      const rec = fake.lastRequest();
      expectForwarded(rec, body, 'claude-up');
      expect(rec?.path).toBe('/v1/messages');
      expect(rec?.query).toEqual({ beta: 'true' });
      expect(rec?.headers['anthropic-beta']).toBe(CLAUDE_CODE_HEADERS['anthropic-beta']);
      expect(rec?.headers['anthropic-version']).toBe('2023-06-01');
      // The gateway's credential, never the client's key, cookie or identity headers.
      expect(rec?.headers['x-api-key']).toBe('up-claude-key');
      expect(rec?.headers.authorization).toBeUndefined();
      expect(rec?.headers.cookie).toBeUndefined();
      expect(rec?.headers['x-app']).toBeUndefined();
    });

    it('should relay the answer exactly as the upstream wrote it, usage read from it', async () => {
      const answer =
        '{"id":"msg_01","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"hi","citations":null},{"type":"a_new_kind","x":1}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":11,"cache_read_input_tokens":5,"output_tokens":7,"server_tool_use":{"web_search_requests":0}},"container":null}';
      fake.onRequest(() => ({ body: answer }));
      const usage = captureUsage(gw);
      try {
        const res = await postJson(
          `${gw.url}/v1/messages`,
          claudeCodeBody('claude-team', false),
          CLAUDE_CODE_HEADERS,
        );
        expect(res.text).toBe(answer);
        expect(usage.records[0]).toMatchObject({
          status: 200,
          provider: 'claude',
          tokens: { input_tokens: 16, output_tokens: 7, cached_tokens: 5 },
        });
      } finally {
        usage.stop();
      }
    });

    it('should relay a stream byte for byte, events the gateway does not know included', async () => {
      const frames = [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":42,"cache_creation_input_tokens":0,"cache_read_input_tokens":8,"output_tokens":1}}}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        'event: ping\ndata: {"type": "ping"}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
        'event: brand_new_event\ndata: {"type":"brand_new_event","detail":[1,2]}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}\n\n',
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      ];
      fake.onRequest(() => ({ chunks: frames }));
      const usage = captureUsage(gw);
      try {
        const res = await postJson(
          `${gw.url}/v1/messages?beta=true`,
          claudeCodeBody('claude-team', true),
          CLAUDE_CODE_HEADERS,
        );
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        expect(res.text).toBe(frames.join(''));
        expect(usage.records[0]).toMatchObject({
          stream: true,
          tokens: { input_tokens: 50, output_tokens: 9 },
        });
      } finally {
        usage.stop();
      }
      expectForwarded(fake.lastRequest(), claudeCodeBody('claude-team', true), 'claude-up');
    });

    it("should relay the upstream's own error with its status and body as it came", async () => {
      // What the Messages API answers a model without mid-conversation system support; Claude
      // Code reads error.details.error_code and retries without system-role messages.
      const error =
        '{"type":"error","error":{"type":"invalid_request_error","message":"Unexpected role \\"system\\". The Messages API accepts a top-level `system` parameter, not \\"system\\" as an input message role.","details":{"error_code":"mid_conversation_system_not_supported"}},"request_id":"req_011CUpstream"}';
      fake.onRequest(() => ({ status: 400, body: error }));
      const res = await postJson(
        `${gw.url}/v1/messages`,
        claudeCodeBody('claude-team', false),
        CLAUDE_CODE_HEADERS,
      );
      expect(res.status).toBe(400);
      expect(res.text).toBe(error);
      // A Claude key the upstream quotes back is masked on the way.
      fake.onRequest(() => ({
        status: 401,
        body: '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key up-claude-key"}}',
      }));
      const denied = await postJson(
        `${gw.url}/v1/messages`,
        claudeCodeBody('claude-team', false),
        CLAUDE_CODE_HEADERS,
      );
      expect(denied.status).toBe(401);
      expect(denied.text).not.toContain('up-claude-key');
      expect(denied.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    });

    it('should serve the official SDK unchanged', async () => {
      const sdk = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url, maxRetries: 0 });
      const msg = await sdk.messages.create({
        model: 'claude-team',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'sdk says hi' }],
      });
      expect(msg.content[0].type === 'text' && msg.content[0].text).toBe('echo: sdk says hi');
    });
  });

  describe('OpenAI chat → OpenAI-compatible', () => {
    const chat = {
      model: 'gpt-team',
      messages: [{ role: 'user', content: 'hello there' }],
      modalities: ['text'],
      prediction: { type: 'content', content: 'x' },
      a_vendor_extension: { beta: true },
    };

    it('should forward the body byte for byte but the model, and relay the answer', async () => {
      const res = await postJson(`${gw.url}/v1/chat/completions`, chat, {
        authorization: `Bearer ${CLIENT_KEY}`,
        'openai-beta': 'assistants=v2',
      });
      expect(res.status).toBe(200);
      expect((res.json as { model: string }).model).toBe('gpt-up');
      const rec = fake.lastRequest();
      expectForwarded(rec, chat, 'gpt-up');
      expect(rec?.headers['openai-beta']).toBe('assistants=v2');
      expect(rec?.headers.authorization).toBe('Bearer up-openai-key');
    });

    it('should ask a stream for usage, account it, and not show the client a chunk it did not ask for', async () => {
      const usage = captureUsage(gw);
      try {
        const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
        const stream = await sdk.chat.completions.create({
          model: 'gpt-team',
          messages: [{ role: 'user', content: 'stream me' }],
          stream: true,
        });
        let text = '';
        let sawUsage = false;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          if (chunk.usage) sawUsage = true;
        }
        expect(text).toBe('echo: stream me');
        expect(sawUsage).toBe(false);
        expect(usage.records[0].tokens.total_tokens).toBeGreaterThan(0);
      } finally {
        usage.stop();
      }
      const sent = fake.lastRequest()?.body as { stream_options?: unknown };
      expect(sent.stream_options).toEqual({ include_usage: true });
    });
  });

  describe('Responses → Codex', () => {
    /** What Codex CLI sends with wire_api = "responses". */
    const codexCli = {
      model: 'codex-team',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] },
      ],
      tools: [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: {} } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'conv-1',
      client_metadata: { anything: 'the next release adds' },
    };

    it('should forward a Codex CLI body byte for byte but the model, with its session headers', async () => {
      const res = await fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${CLIENT_KEY}`,
          session_id: 'sess-42',
          originator: 'codex_cli_rs',
        },
        body: JSON.stringify(codexCli),
      });
      const events = sseEvents(await res.text());
      expect(res.status).toBe(200);
      expect(events.map((e) => e.event)).toContain('response.completed');
      const rec = fake.lastRequest();
      expect(rec?.path).toBe('/backend-api/codex/responses');
      expectForwarded(rec, codexCli, 'codex-up');
      expect(rec?.headers.session_id).toBe('sess-42');
      expect(rec?.headers.authorization).toBe('Bearer up-codex-key');
    });

    it('should give the backend what it requires and collect its stream for a non-stream client', async () => {
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const res = await sdk.responses.create({
        model: 'codex-team',
        input: 'say hi',
        temperature: 0.2,
      });
      expect(res.output_text).toBe('echo: say hi');
      expect(res.usage?.total_tokens).toBeGreaterThan(0);
      const sent = fake.lastRequest()?.body as Record<string, unknown>;
      expect(sent).toMatchObject({
        model: 'codex-up',
        stream: true,
        store: false,
        instructions: '',
      });
      expect(sent).not.toHaveProperty('temperature');
    });
  });

  describe('Gemini → Gemini', () => {
    it('should forward the body byte for byte (the model is in the URL) and relay the answer', async () => {
      const body = {
        contents: [{ role: 'user', parts: [{ text: 'gemini hello' }] }],
        generationConfig: { temperature: 0.3, mediaResolution: 'MEDIA_RESOLUTION_LOW' },
        labels: { team: 'a' },
        aFieldFromTheFuture: [1],
      };
      const answer =
        '{"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP","index":0,"groundingMetadata":{"x":1}}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1,"totalTokenCount":5},"modelVersion":"gemini-up","responseId":"r1"}';
      fake.onRequest(() => ({ body: answer }));
      const res = await postJson(`${gw.url}/v1beta/models/gemini-team:generateContent`, body, {
        'x-goog-api-key': CLIENT_KEY,
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe(answer);
      const rec = fake.lastRequest();
      expect(rec?.path).toBe('/v1beta/models/gemini-up:generateContent');
      expect(rec?.rawBody).toBe(JSON.stringify(body));
    });

    it('should stream SSE as sent, and as a JSON array for clients without alt=sse', async () => {
      const body = { contents: [{ role: 'user', parts: [{ text: 'gemini stream' }] }] };
      const sse = await postJson(
        `${gw.url}/v1beta/models/gemini-team:streamGenerateContent?alt=sse`,
        body,
        { 'x-goog-api-key': CLIENT_KEY },
      );
      const texts = sseEvents(sse.text).map(
        (e) =>
          (JSON.parse(e.data) as { candidates: { content: { parts: { text?: string }[] } }[] })
            .candidates[0].content.parts[0].text ?? '',
      );
      expect(texts.join('')).toBe('echo: gemini stream');
      const array = await postJson(
        `${gw.url}/v1beta/models/gemini-team:streamGenerateContent`,
        body,
        { 'x-goog-api-key': CLIENT_KEY },
      );
      expect(array.headers.get('content-type')).toContain('application/json');
      const chunks = array.json as { candidates: { content: { parts: { text?: string }[] } }[] }[];
      expect(chunks.map((c) => c.candidates[0].content.parts[0].text ?? '').join('')).toBe(
        'echo: gemini stream',
      );
    });
  });

  describe('Claude Code to other formats: mid-conversation system messages', () => {
    const REMINDER = '<system-reminder>\nThe user switched to plan mode.\n</system-reminder>';

    it('should reach an OpenAI-compatible upstream as a user turn, the system prompt first', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages?beta=true`,
        claudeCodeBody('gpt-team', false),
        CLAUDE_CODE_HEADERS,
      );
      expect(res.status).toBe(200);
      const sent = fake.lastRequest()?.body as { messages: { role: string; content: unknown }[] };
      expect(sent.messages[0].role).toBe('system');
      expect(JSON.stringify(sent.messages[0].content)).toContain('You are Claude Code.');
      const reminder = sent.messages.find((m) =>
        JSON.stringify(m.content).includes('system-reminder'),
      );
      expect(reminder?.role).toBe('user');
      expect(JSON.stringify(reminder?.content)).toContain(JSON.stringify(REMINDER).slice(1, -1));
      // Claude's betas mean nothing to an OpenAI upstream.
      expect(fake.lastRequest()?.headers['anthropic-beta']).toBeUndefined();
    });

    it('should reach a Codex upstream as a user input message', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        claudeCodeBody('codex-team', false),
        CLAUDE_CODE_HEADERS,
      );
      expect(res.status).toBe(200);
      const sent = fake.lastRequest()?.body as {
        instructions: string;
        input: { role?: string; content?: { text?: string }[] }[];
      };
      expect(sent.instructions).toContain('You are Claude Code.');
      const reminder = sent.input.find((i) => i.content?.[0]?.text === REMINDER);
      expect(reminder?.role).toBe('user');
    });

    it('should reach a Gemini upstream as user content, and message_start carry its input count', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages?beta=true`,
        claudeCodeBody('gemini-team', true),
        CLAUDE_CODE_HEADERS,
      );
      expect(res.status).toBe(200);
      const sent = fake.lastRequest()?.body as {
        contents: { role: string; parts: { text?: string }[] }[];
        systemInstruction: unknown;
      };
      const reminder = sent.contents.find((c) => c.parts[0]?.text === REMINDER);
      expect(reminder?.role).toBe('user');
      expect(JSON.stringify(sent.systemInstruction)).toContain('You are Claude Code.');
      const start = sseEvents(res.text).find((e) => e.event === 'message_start');
      const usage = (JSON.parse(start!.data) as { message: { usage: { input_tokens: number } } })
        .message.usage;
      expect(usage.input_tokens).toBe(fake.lastRequest()?.answer?.usage.inputTokens);
      expect(usage.input_tokens).toBeGreaterThan(0);
    });
  });

  describe('a model nobody serves', () => {
    it.each([
      [
        '/v1/chat/completions',
        { model: 'claude-opus-9', messages: [{ role: 'user', content: 'x' }] },
        {
          error: {
            message: 'unknown provider for model claude-opus-9',
            type: 'invalid_request_error',
            code: 'model_not_found',
            param: 'model',
          },
        },
      ],
      [
        '/v1/responses',
        { model: 'claude-opus-9', input: 'x' },
        {
          error: {
            message: 'unknown provider for model claude-opus-9',
            type: 'invalid_request_error',
            code: 'model_not_found',
            param: 'model',
          },
        },
      ],
      [
        '/v1/messages?beta=true',
        claudeCodeBody('claude-opus-9', true),
        {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'unknown provider for model claude-opus-9',
            code: 'model_not_found',
            param: 'model',
          },
        },
      ],
      [
        '/v1beta/models/claude-opus-9:streamGenerateContent?alt=sse',
        { contents: [{ role: 'user', parts: [{ text: 'x' }] }] },
        {
          error: {
            code: 400,
            message: 'unknown provider for model claude-opus-9',
            status: 'INVALID_ARGUMENT',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'model_not_found',
                domain: 'switchboard',
              },
            ],
          },
        },
      ],
    ])('should answer 400 on %s in the caller format', async (path, body, expected) => {
      const res = await postJson(`${gw.url}${path}`, body, {
        authorization: `Bearer ${CLIENT_KEY}`,
        'anthropic-version': '2023-06-01',
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(expected);
      expect(fake.requests()).toHaveLength(0);
    });
  });
});
