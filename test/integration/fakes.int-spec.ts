import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeUpstream, REASONING_TEXT, estimateTokens, fixtureReply } from '@test/fakes';

// The fakes are the ground truth for every gateway test, so they are checked twice: frame by
// frame with plain fetch (our own SSE parsing), and end to end with the official SDKs, which
// must accept everything the fakes send.

interface SseEvent {
  event?: string;
  data: string;
}

/** Split an SSE body into events (blank-line separated, LF or CRLF). */
function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      return { event, data: data.join('\n') };
    });
}

/** The JSON payloads of an SSE body ([DONE] left out). */
function sseJson(text: string) {
  return parseSse(text)
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data));
}

const parse = (text: string) => JSON.parse(text);

const TOOLS_OPENAI = [
  {
    type: 'function',
    function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
  },
  {
    type: 'function',
    function: { name: 'weather', parameters: { type: 'object', properties: {} } },
  },
];

describe(FakeUpstream.name, () => {
  let sut: FakeUpstream;

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ) =>
    fetch(`${sut.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });

  const claudeHeaders = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' };

  beforeAll(async () => {
    sut = await FakeUpstream.start();
  });

  afterAll(async () => {
    await sut.close();
  });

  afterEach(() => {
    sut.reset();
    sut.configure({ streamChunks: 5, cachedTokens: 0 });
    sut.clearRequests();
  });

  describe('OpenAI chat completions', () => {
    it('should echo the last user text in a chat.completion with usage', async () => {
      const messages = [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'hello there' }] },
      ];
      const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages });
      expect(res.status).toBe(200);
      const body = parse(await res.text());
      expect(body.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
      expect(body.object).toBe('chat.completion');
      expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(5);
      expect(body.model).toBe('gpt-4o-mini');
      expect(body.choices[0].message).toMatchObject({
        role: 'assistant',
        content: 'echo: hello there',
      });
      expect(body.choices[0].finish_reason).toBe('stop');
      const promptChars = 'be brief'.length + 'first'.length + 'ok'.length + 'hello there'.length;
      expect(body.usage).toMatchObject({
        prompt_tokens: estimateTokens(promptChars),
        completion_tokens: estimateTokens('echo: hello there'.length),
        total_tokens: estimateTokens(promptChars) + estimateTokens('echo: hello there'.length),
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      });
    });

    it('should answer on the unversioned /chat/completions path too', async () => {
      const res = await post('/chat/completions', {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(parse(await res.text()).choices[0].message.content).toBe('echo: x');
    });

    it('should stream N content chunks, a usage chunk when asked, then [DONE]', async () => {
      sut.configure({ streamChunks: 4 });
      const res = await post('/v1/chat/completions', {
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me please' }],
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text();
      const events = parseSse(text);
      expect(events[events.length - 1].data).toBe('[DONE]');
      const chunks = sseJson(text);
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
      const contents = chunks.flatMap((c) =>
        c.choices.map((ch: { delta: { content?: string } }) => ch.delta.content ?? ''),
      );
      expect(contents.filter((s) => s !== '')).toHaveLength(4);
      expect(contents.join('')).toBe('echo: stream me please');
      const finish = chunks.find((c) => c.choices[0]?.finish_reason);
      expect(finish.choices[0].finish_reason).toBe('stop');
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage.completion_tokens).toBe(estimateTokens('echo: stream me please'.length));
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    });

    it('should not send a usage chunk without stream_options.include_usage', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const chunks = sseJson(await res.text());
      expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    });

    it('should call the first declared tool with its arguments split over several chunks', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'm',
        stream: true,
        tools: TOOLS_OPENAI,
        messages: [{ role: 'user', content: 'please call tool now' }],
      });
      const chunks = sseJson(await res.text());
      expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: null });
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
      expect(deltas[0]).toMatchObject({
        index: 0,
        type: 'function',
        function: { name: 'lookup', arguments: '' },
      });
      expect(deltas[0].id).toMatch(/^call_[A-Za-z0-9]{24}$/);
      const fragments = deltas
        .slice(1)
        .map((d: { function: { arguments: string } }) => d.function.arguments);
      expect(fragments.length).toBeGreaterThan(1);
      expect(JSON.parse(fragments.join(''))).toEqual({ query: 'please call tool now' });
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls');
      expect(sut.lastRequest()?.answer?.toolCalls).toHaveLength(1);
    });

    it('should keep the tool-call id stable for the same conversation', async () => {
      const body = {
        model: 'm',
        tools: TOOLS_OPENAI,
        messages: [{ role: 'user', content: 'call tool' }],
      };
      const plain = parse(await (await post('/v1/chat/completions', body)).text());
      const streamed = sseJson(
        await (await post('/v1/chat/completions', { ...body, stream: true })).text(),
      );
      expect(plain.choices[0].message.content).toBeNull();
      expect(plain.choices[0].message.tool_calls[0].id).toBe(
        streamed[0].choices[0].delta.tool_calls[0].id,
      );
    });

    it('should make two parallel calls on "call tools"', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'm',
        tools: TOOLS_OPENAI,
        messages: [{ role: 'user', content: 'call tools' }],
      });
      const calls = parse(await res.text()).choices[0].message.tool_calls;
      expect(calls.map((c: { function: { name: string } }) => c.function.name)).toEqual([
        'lookup',
        'weather',
      ]);
      expect(calls[0].id).not.toBe(calls[1].id);
    });

    it('should report the tool results when the conversation ends with them', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'm',
        tools: TOOLS_OPENAI,
        messages: [
          { role: 'user', content: 'call tools' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'lookup', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: 'sunny' },
          { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'windy' }] },
        ],
      });
      expect(parse(await res.text()).choices[0].message.content).toBe('tool said: sunny | windy');
    });

    it('should stream reasoning_content first when reasoning is requested', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'o3',
        stream: true,
        reasoning_effort: 'low',
        messages: [{ role: 'user', content: 'think' }],
      });
      const deltas = sseJson(await res.text()).map((c) => c.choices[0].delta);
      const reasoning = deltas.map((d) => d.reasoning_content ?? '').join('');
      expect(reasoning).toBe(REASONING_TEXT);
      const firstContent = deltas.findIndex((d) => d.content);
      const lastReasoning = deltas.map((d) => !!d.reasoning_content).lastIndexOf(true);
      expect(lastReasoning).toBeLessThan(firstContent);
    });

    it('should reject a request without messages with the OpenAI 400 shape', async () => {
      const res = await post('/v1/chat/completions', { model: 'm' });
      expect(res.status).toBe(400);
      const body = parse(await res.text());
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null });
      expect(body.error.message).toContain('messages');
    });

    it('should list models at GET /v1/models', async () => {
      const body = parse(await (await fetch(`${sut.url}/v1/models`)).text());
      expect(body.object).toBe('list');
      expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'system' });
      expect(body.data.map((m: { id: string }) => m.id)).toContain('gpt-4o-mini');
    });
  });

  describe('OpenAI Responses and Codex', () => {
    const tools = [
      { type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } },
    ];

    it('should answer a response object with output_text and usage', async () => {
      const res = await post('/v1/responses', {
        model: 'gpt-5',
        input: 'hello',
        instructions: 'be nice',
      });
      const body = parse(await res.text());
      expect(body).toMatchObject({
        object: 'response',
        status: 'completed',
        model: 'gpt-5',
        instructions: 'be nice',
      });
      expect(body.id).toMatch(/^resp_/);
      expect(body.output).toHaveLength(1);
      expect(body.output[0]).toMatchObject({
        type: 'message',
        role: 'assistant',
        status: 'completed',
      });
      expect(body.output[0].content[0]).toEqual({
        type: 'output_text',
        annotations: [],
        logprobs: [],
        text: 'echo: hello',
      });
      expect(body.usage).toEqual({
        input_tokens: estimateTokens('hello'.length + 'be nice'.length),
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: estimateTokens('echo: hello'.length),
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: estimateTokens(12) + estimateTokens(11),
      });
    });

    it('should stream named events numbered by sequence_number', async () => {
      const res = await post('/responses', {
        model: 'gpt-5',
        stream: true,
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream it' }] }],
      });
      const events = parseSse(await res.text());
      const payloads = events.map((e) => JSON.parse(e.data));
      events.forEach((e, i) => expect(e.event).toBe(payloads[i].type));
      expect(payloads.map((p) => p.sequence_number)).toEqual(payloads.map((_, i) => i));
      expect(payloads.map((p) => p.type)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(5).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const text = payloads
        .filter((p) => p.type === 'response.output_text.delta')
        .map((p) => p.delta)
        .join('');
      expect(text).toBe('echo: stream it');
      expect(payloads[0].response).toMatchObject({
        status: 'in_progress',
        usage: null,
        output: [],
      });
      expect(payloads[payloads.length - 1].response.usage.output_tokens).toBe(
        estimateTokens(text.length),
      );
    });

    it('should stream a function call with argument deltas that add up to the done event', async () => {
      const res = await post('/v1/responses', {
        model: 'gpt-5',
        stream: true,
        tools,
        input: 'call tool x',
      });
      const payloads = sseJson(await res.text());
      const added = payloads.find((p) => p.type === 'response.output_item.added');
      expect(added.item).toMatchObject({
        type: 'function_call',
        name: 'lookup',
        arguments: '',
        status: 'in_progress',
      });
      expect(added.item.call_id).toMatch(/^call_/);
      const deltas = payloads.filter((p) => p.type === 'response.function_call_arguments.delta');
      expect(deltas.length).toBeGreaterThan(1);
      const done = payloads.find((p) => p.type === 'response.function_call_arguments.done');
      expect(deltas.map((d) => d.delta).join('')).toBe(done.arguments);
      expect(JSON.parse(done.arguments)).toEqual({ query: 'call tool x' });
      const completed = payloads[payloads.length - 1].response;
      expect(completed.output[0]).toMatchObject({
        type: 'function_call',
        call_id: added.item.call_id,
        status: 'completed',
      });
    });

    it('should emit a reasoning summary (and encrypted content when included) before the message', async () => {
      const res = await post('/v1/responses', {
        model: 'gpt-5',
        stream: true,
        reasoning: { effort: 'medium', summary: 'auto' },
        include: ['reasoning.encrypted_content'],
        input: 'why',
      });
      const payloads = sseJson(await res.text());
      const summary = payloads
        .filter((p) => p.type === 'response.reasoning_summary_text.delta')
        .map((p) => p.delta)
        .join('');
      expect(summary).toBe(REASONING_TEXT);
      const final = payloads[payloads.length - 1].response;
      expect(final.output[0].type).toBe('reasoning');
      expect(final.output[0].encrypted_content).toMatch(/^gAAAAA/);
      expect(final.output[1].type).toBe('message');
      expect(final.usage.output_tokens_details.reasoning_tokens).toBe(
        estimateTokens(REASONING_TEXT.length),
      );
    });

    it('should report function_call_output items', async () => {
      const res = await post('/v1/responses', {
        model: 'gpt-5',
        tools,
        input: [
          { role: 'user', content: 'call tool' },
          { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: '42' },
        ],
      });
      expect(parse(await res.text()).output[0].content[0].text).toBe('tool said: 42');
    });

    it('should refuse non-streamed requests on the Codex backend as the real one does', async () => {
      const res = await post('/backend-api/codex/responses', {
        model: 'gpt-5-codex',
        instructions: 'x',
        store: false,
        input: 'hi',
      });
      expect(res.status).toBe(400);
      expect(parse(await res.text())).toEqual({ detail: 'Stream must be set to true' });
    });

    it('should stream on the Codex backend', async () => {
      const res = await post('/backend-api/codex/responses', {
        model: 'gpt-5-codex',
        instructions: 'x',
        store: false,
        stream: true,
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'codex' }] },
        ],
      });
      const payloads = sseJson(await res.text());
      expect(payloads[payloads.length - 1].type).toBe('response.completed');
      expect(payloads[payloads.length - 1].response.output[0].content[0].text).toBe('echo: codex');
    });

    it('should compact a history into kept user messages and one compaction item', async () => {
      const res = await post('/backend-api/codex/responses/compact', {
        model: 'gpt-5-codex',
        input: [
          { role: 'user', content: 'keep me' },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'long answer' }],
          },
        ],
      });
      const body = parse(await res.text());
      expect(body.object).toBe('response.compaction');
      expect(body.output.map((o: { type: string }) => o.type)).toEqual(['message', 'compaction']);
      expect(body.output[0].content[0].text).toBe('keep me');
      expect(body.usage.total_tokens).toBeGreaterThan(0);
    });
  });

  describe('Claude messages', () => {
    const tools = [
      { name: 'lookup', input_schema: { type: 'object' } },
      { name: 'weather', input_schema: { type: 'object' } },
    ];

    it('should answer a message with usage that leaves cache reads out of input_tokens', async () => {
      sut.configure({ cachedTokens: 2 });
      const res = await post(
        '/v1/messages',
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          system: 'sys',
          messages: [{ role: 'user', content: 'hello claude' }],
        },
        claudeHeaders,
      );
      const body = parse(await res.text());
      expect(body).toMatchObject({
        type: 'message',
        role: 'assistant',
        stop_reason: 'end_turn',
        stop_sequence: null,
      });
      expect(body.id).toMatch(/^msg_01/);
      expect(body.content).toEqual([{ type: 'text', text: 'echo: hello claude' }]);
      const input = estimateTokens('sys'.length + 'hello claude'.length);
      expect(body.usage).toMatchObject({
        input_tokens: input - 2,
        cache_read_input_tokens: 2,
        cache_creation_input_tokens: 0,
        output_tokens: estimateTokens('echo: hello claude'.length),
      });
    });

    it('should stream message_start, blocks with a ping, message_delta and message_stop', async () => {
      const res = await post(
        '/v1/messages',
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'hey' }],
        },
        claudeHeaders,
      );
      const events = parseSse(await res.text());
      const payloads = events.map((e) => JSON.parse(e.data));
      events.forEach((e, i) => expect(e.event).toBe(payloads[i].type));
      expect(payloads.map((p) => p.type)).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        ...Array(5).fill('content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(payloads[0].message).toMatchObject({ content: [], stop_reason: null });
      const text = payloads
        .filter((p) => p.type === 'content_block_delta')
        .map((p) => p.delta.text)
        .join('');
      expect(text).toBe('echo: hey');
      const delta = payloads[payloads.length - 2];
      expect(delta.delta.stop_reason).toBe('end_turn');
      expect(delta.usage.output_tokens).toBe(estimateTokens(text.length));
    });

    it('should stream a tool_use block whose partial_json adds up to the arguments', async () => {
      const res = await post(
        '/v1/messages',
        {
          model: 'c',
          max_tokens: 10,
          stream: true,
          tools,
          messages: [{ role: 'user', content: 'call tools' }],
        },
        claudeHeaders,
      );
      const payloads = sseJson(await res.text());
      const starts = payloads.filter((p) => p.type === 'content_block_start');
      expect(starts.map((s) => s.content_block.name)).toEqual(['lookup', 'weather']);
      expect(starts[0].content_block).toMatchObject({ type: 'tool_use', input: {} });
      expect(starts[0].content_block.id).toMatch(/^toolu_01/);
      const json = payloads
        .filter((p) => p.type === 'content_block_delta' && p.index === 0)
        .map((p) => p.delta.partial_json)
        .join('');
      expect(JSON.parse(json)).toEqual({ query: 'call tools' });
      expect(payloads.find((p) => p.type === 'message_delta').delta.stop_reason).toBe('tool_use');
    });

    it('should open with a signed thinking block when thinking is enabled', async () => {
      const res = await post(
        '/v1/messages',
        {
          model: 'c',
          max_tokens: 2048,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: 'think' }],
        },
        claudeHeaders,
      );
      const body = parse(await res.text());
      expect(body.content[0]).toMatchObject({ type: 'thinking', thinking: REASONING_TEXT });
      expect(body.content[0].signature.length).toBeGreaterThan(20);
      expect(body.content[1]).toEqual({ type: 'text', text: 'echo: think' });
      expect(body.usage.output_tokens_details).toEqual({
        thinking_tokens: estimateTokens(REASONING_TEXT.length),
      });
    });

    it('should report tool_result blocks', async () => {
      const res = await post(
        '/v1/messages',
        {
          model: 'c',
          max_tokens: 10,
          tools,
          messages: [
            { role: 'user', content: 'call tool' },
            {
              role: 'assistant',
              content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }],
            },
            {
              role: 'user',
              content: [
                {
                  type: 'tool_result',
                  tool_use_id: 'toolu_1',
                  content: [{ type: 'text', text: 'found it' }],
                },
              ],
            },
          ],
        },
        claudeHeaders,
      );
      expect(parse(await res.text()).content[0].text).toBe('tool said: found it');
    });

    it('should count tokens', async () => {
      const res = await post(
        '/v1/messages/count_tokens',
        { model: 'c', messages: [{ role: 'user', content: 'twelve chars' }] },
        claudeHeaders,
      );
      expect(parse(await res.text())).toEqual({ input_tokens: estimateTokens(12) });
    });

    it('should require the anthropic-version header and max_tokens as the real API does', async () => {
      const noHeader = await post(
        '/v1/messages',
        { model: 'c', max_tokens: 1, messages: [] },
        { 'x-api-key': 'k' },
      );
      expect(noHeader.status).toBe(400);
      expect(parse(await noHeader.text())).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      });
      const noMax = await post('/v1/messages', { model: 'c', messages: [] }, claudeHeaders);
      expect(parse(await noMax.text()).error.message).toBe('max_tokens: Field required');
    });

    it('should list models in the Anthropic shape when anthropic-version is sent', async () => {
      const body = parse(
        await (await fetch(`${sut.url}/v1/models`, { headers: claudeHeaders })).text(),
      );
      expect(body.has_more).toBe(false);
      expect(body.data[0]).toMatchObject({ type: 'model', id: 'claude-sonnet-4-5-20250929' });
    });
  });

  describe('Gemini and Vertex', () => {
    const tools = [{ functionDeclarations: [{ name: 'lookup' }, { name: 'weather' }] }];
    const user = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

    it('should answer generateContent with candidates and usageMetadata', async () => {
      const res = await post(
        '/v1beta/models/gemini-2.5-flash:generateContent',
        user('hello gemini'),
        {
          'x-goog-api-key': 'g-key',
        },
      );
      const body = parse(await res.text());
      expect(body.candidates[0]).toMatchObject({
        content: { role: 'model', parts: [{ text: 'echo: hello gemini' }] },
        finishReason: 'STOP',
        index: 0,
      });
      expect(body.modelVersion).toBe('gemini-2.5-flash');
      expect(body.responseId).toMatch(/^[A-Za-z0-9]{24}$/);
      const input = estimateTokens('hello gemini'.length);
      const output = estimateTokens('echo: hello gemini'.length);
      expect(body.usageMetadata).toMatchObject({
        promptTokenCount: input,
        candidatesTokenCount: output,
        totalTokenCount: input + output,
      });
      expect(sut.lastRequest()).toMatchObject({
        model: 'gemini-2.5-flash',
        apiKey: 'g-key',
        route: 'gemini-generate',
      });
    });

    it('should stream SSE with ?alt=sse, CRLF-separated, closed by an empty chunk with finishReason and usage', async () => {
      const res = await post(
        '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
        user('sse please'),
      );
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text();
      expect(text).toContain('\r\n\r\n');
      const chunks = sseJson(text);
      expect(chunks).toHaveLength(6);
      expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe(
        'echo: sse please',
      );
      expect(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined)).toBe(
        true,
      );
      const last = chunks[chunks.length - 1];
      expect(last.candidates[0]).toMatchObject({
        content: { parts: [{ text: '' }] },
        finishReason: 'STOP',
      });
      expect(chunks[0].usageMetadata.candidatesTokenCount).toBeUndefined();
      expect(last.usageMetadata.candidatesTokenCount).toBe(
        estimateTokens('echo: sse please'.length),
      );
    });

    it('should stream a JSON array without alt=sse', async () => {
      const res = await post('/v1beta/models/gemini-2.5-pro:streamGenerateContent', user('array'));
      const chunks = parse(await res.text());
      expect(Array.isArray(chunks)).toBe(true);
      expect(
        chunks
          .map(
            (c: { candidates: { content: { parts: { text: string }[] } }[] }) =>
              c.candidates[0].content.parts[0].text,
          )
          .join(''),
      ).toBe('echo: array');
    });

    it('should put parallel function calls whole in one chunk, after a thought part', async () => {
      const res = await post('/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', {
        ...user('call tools'),
        tools,
        generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } },
      });
      const chunks = sseJson(await res.text());
      const parts = chunks.flatMap((c) => c.candidates[0].content.parts);
      expect(
        parts
          .filter((p) => p.thought)
          .map((p) => p.text)
          .join(''),
      ).toBe(REASONING_TEXT);
      const withCalls = chunks.filter((c) => c.candidates[0].content.parts[0].functionCall);
      expect(withCalls).toHaveLength(1);
      const calls = withCalls[0].candidates[0].content.parts;
      const last = chunks[chunks.length - 1];
      expect(last.candidates[0].finishReason).toBe('STOP');
      expect(calls.map((p: { functionCall: { name: string } }) => p.functionCall.name)).toEqual([
        'lookup',
        'weather',
      ]);
      expect(calls[0].functionCall.args).toEqual({ query: 'call tools' });
      expect(calls[0].thoughtSignature).toBeDefined();
      expect(last.usageMetadata.thoughtsTokenCount).toBe(estimateTokens(REASONING_TEXT.length));
    });

    it('should report functionResponse parts', async () => {
      const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', {
        tools,
        contents: [
          { role: 'user', parts: [{ text: 'call tool' }] },
          { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} } }] },
          {
            role: 'user',
            parts: [{ functionResponse: { name: 'lookup', response: { result: 'rainy' } } }],
          },
        ],
      });
      expect(parse(await res.text()).candidates[0].content.parts[0].text).toBe('tool said: rainy');
    });

    it('should count tokens', async () => {
      const res = await post('/v1beta/models/gemini-2.5-flash:countTokens', user('abcdefgh'));
      expect(parse(await res.text())).toMatchObject({ totalTokens: 2 });
    });

    it('should serve Vertex publisher paths with the model from the URL', async () => {
      const res = await post(
        '/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
        user('vertex'),
      );
      const body = parse(await res.text());
      expect(body.modelVersion).toBe('gemini-2.5-pro');
      expect(body.candidates[0].content.parts[0].text).toBe('echo: vertex');
    });

    it('should list models and 404 an unknown one in the Google error shape', async () => {
      const list = parse(await (await fetch(`${sut.url}/v1beta/models`)).text());
      expect(list.models[0]).toMatchObject({ name: 'models/gemini-2.5-flash' });
      expect(list.models[0].supportedGenerationMethods).toContain('generateContent');
      const missing = await fetch(`${sut.url}/v1beta/models/nope`);
      expect(missing.status).toBe(404);
      expect(parse(await missing.text()).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    });

    it('should reject a request without contents', async () => {
      const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [] });
      expect(res.status).toBe(400);
      expect(parse(await res.text()).error.status).toBe('INVALID_ARGUMENT');
    });
  });

  describe('Code Assist (Gemini CLI, Antigravity)', () => {
    const envelope = (text: string) => ({
      model: 'gemini-2.5-pro',
      project: 'proj-1',
      request: { contents: [{ role: 'user', parts: [{ text }] }] },
    });

    it('should unwrap the request envelope and wrap the answer in {response}', async () => {
      const res = await post('/v1internal:generateContent', envelope('cli'));
      const body = parse(await res.text());
      expect(body.response.candidates[0].content.parts[0].text).toBe('echo: cli');
      expect(body.response.modelVersion).toBe('gemini-2.5-pro');
      expect(body.traceId).toBeDefined();
    });

    it('should stream wrapped chunks with alt=sse', async () => {
      const res = await post('/v1internal:streamGenerateContent?alt=sse', envelope('stream cli'));
      const chunks = sseJson(await res.text());
      expect(chunks.map((c) => c.response.candidates[0].content.parts[0].text).join('')).toBe(
        'echo: stream cli',
      );
      expect(chunks[chunks.length - 1].response.usageMetadata.totalTokenCount).toBeGreaterThan(0);
    });

    it('should give Claude-via-Antigravity calls their ids and sign a thought part instead', async () => {
      const res = await post('/v1internal:streamGenerateContent?alt=sse', {
        model: 'claude-sonnet-4-5-thinking',
        project: 'p',
        userAgent: 'antigravity',
        requestType: 'agent',
        request: {
          contents: [{ role: 'user', parts: [{ text: 'call tool' }] }],
          tools: [{ functionDeclarations: [{ name: 'read_file' }] }],
          generationConfig: { thinkingConfig: { includeThoughts: true } },
        },
      });
      const parts = sseJson(await res.text()).flatMap(
        (c) => c.response.candidates[0].content.parts,
      );
      const signed = parts.filter((p) => p.thoughtSignature);
      expect(signed).toHaveLength(1);
      expect(signed[0]).toMatchObject({ text: '', thought: true });
      const call = parts.find((p) => p.functionCall).functionCall;
      expect(call.id).toMatch(/^toolu_vrtx_01/);
      expect(call.args).toEqual({ query: 'call tool' });
    });

    it('should answer the account calls', async () => {
      const load = parse(await (await post('/v1internal:loadCodeAssist', { metadata: {} })).text());
      expect(load).toMatchObject({
        cloudaicompanionProject: 'fake-project-123456',
        currentTier: { id: 'free-tier' },
      });
      const onboard = parse(
        await (await post('/v1internal:onboardUser', { tierId: 'free-tier' })).text(),
      );
      expect(onboard).toMatchObject({
        done: true,
        response: { cloudaicompanionProject: { id: 'fake-project-123456' } },
      });
      const models = parse(await (await post('/v1internal:fetchAvailableModels', {})).text());
      expect(models.models['gemini-2.5-pro'].quotaInfo.remainingFraction).toBe(1);
      const quota = parse(
        await (await post('/v1internal:retrieveUserQuota', { project: 'p' })).text(),
      );
      expect(quota.buckets[0]).toMatchObject({ tokenType: 'REQUESTS', remainingFraction: 1 });
      const count = parse(
        await (
          await post('/v1internal:countTokens', {
            request: { model: 'models/x', contents: envelope('abcd').request.contents },
          })
        ).text(),
      );
      expect(count).toEqual({ totalTokens: 1 });
    });
  });

  describe('faults', () => {
    const chat = (
      content = 'hi',
      extra: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ) =>
      post(
        '/v1/chat/completions',
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra },
        headers,
      );

    it('should fail once with the OpenAI 429 shape and Retry-After, then recover', async () => {
      sut.fail({ status: 429, retryAfterSeconds: 7 });
      const first = await chat();
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('7');
      expect(parse(await first.text()).error).toMatchObject({
        type: 'requests',
        code: 'rate_limit_exceeded',
      });
      expect(sut.lastRequest()?.faults).toEqual(['fail']);
      const second = await chat();
      expect(second.status).toBe(200);
      expect(sut.lastRequest()?.faults).toEqual([]);
      expect(sut.pendingFaults()).toBe(0);
    });

    it('should use each provider error shape and retry hint', async () => {
      sut.fail({ status: 429, times: 3, retryAfterSeconds: 9 });
      const gemini = await post('/v1beta/models/gemini-2.5-flash:generateContent', {
        contents: [{ parts: [{ text: 'x' }] }],
      });
      const err = parse(await gemini.text()).error;
      expect(err).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
      expect(err.details).toContainEqual({
        '@type': 'type.googleapis.com/google.rpc.RetryInfo',
        retryDelay: '9s',
      });
      const codex = await post('/backend-api/codex/responses', {
        model: 'm',
        instructions: '',
        stream: true,
        input: 'x',
      });
      const codexErr = parse(await codex.text()).error;
      expect(codexErr).toMatchObject({ type: 'usage_limit_reached', resets_in_seconds: 9 });
      expect(codexErr.resets_at - Date.now() / 1000).toBeGreaterThan(7);
      const claude = await post(
        '/v1/messages',
        { model: 'c', max_tokens: 1, messages: [] },
        claudeHeaders,
      );
      expect(claude.headers.get('retry-after')).toBe('9');
      expect(parse(await claude.text())).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      });
    });

    it('should wrap Gemini errors in an array on a JSON-array stream', async () => {
      sut.fail({ status: 503 });
      const res = await post('/v1beta/models/g:streamGenerateContent', {
        contents: [{ parts: [{ text: 'x' }] }],
      });
      expect(res.status).toBe(503);
      expect(parse(await res.text())[0].error.status).toBe('UNAVAILABLE');
    });

    it('should send a custom body and headers', async () => {
      sut.fail({ status: 500, body: 'plain failure', headers: { 'x-custom': 'yes' } });
      const res = await chat();
      expect(res.status).toBe(500);
      expect(res.headers.get('x-custom')).toBe('yes');
      expect(await res.text()).toBe('plain failure');
    });

    it('should fail only the matching credential', async () => {
      sut.fail({ status: 401, times: Infinity, match: { apiKey: 'bad-key' } });
      expect((await chat('a', {}, { authorization: 'Bearer good-key' })).status).toBe(200);
      expect((await chat('a', {}, { authorization: 'Bearer bad-key' })).status).toBe(401);
      const viaQuery = await post('/v1beta/models/g:generateContent?key=bad-key', {
        contents: [{ parts: [{ text: 'x' }] }],
      });
      expect(viaQuery.status).toBe(401);
      expect((await chat('a', {}, { authorization: 'Bearer bad-key' })).status).toBe(401);
    });

    it('should match by model and path, and leave model lists alone unless the path names them', async () => {
      sut.fail({ status: 404, match: { model: 'gpt-5' } });
      sut.fail({ status: 500, match: { path: '/v1/models' } });
      sut.fail({ status: 502, match: { path: /generateContent$/ } });
      expect((await chat()).status).toBe(200);
      expect((await chat('x', { model: 'gpt-5' })).status).toBe(404);
      expect((await fetch(`${sut.url}/v1/models`)).status).toBe(500);
      expect(
        (await post('/v1beta/models/g:generateContent', { contents: [{ parts: [{ text: 'x' }] }] }))
          .status,
      ).toBe(502);
    });

    it('should not let an unscoped fault hit model lists or account calls', async () => {
      sut.fail({ status: 500 });
      expect((await fetch(`${sut.url}/v1/models`)).status).toBe(200);
      expect((await post('/v1internal:loadCodeAssist', {})).status).toBe(200);
      expect((await chat()).status).toBe(500);
    });

    it('should hold the first byte back', async () => {
      sut.slowFirstByte({ ms: 150 });
      const started = Date.now();
      const res = await chat();
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(res.status).toBe(200);
      expect(sut.lastRequest()?.faults).toEqual(['slowFirstByte']);
    });

    it('should reset the connection after N stream frames', async () => {
      sut.resetMidStream({ afterChunks: 2 });
      const res = await chat('reset me', { stream: true });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let received = '';
      const decoder = new TextDecoder();
      await expect(
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            received += decoder.decode(value, { stream: true });
          }
        })(),
      ).rejects.toThrow();
      expect(parseSse(received)).toHaveLength(2);
      expect(received).not.toContain('[DONE]');
      expect(sut.abortedCount()).toBe(0);
    });

    it('should cut a non-stream body in half', async () => {
      sut.resetMidStream({ afterChunks: 0 });
      await expect(chat().then((r) => r.text())).rejects.toThrow();
    });

    it('should send garbage SSE with a 200 and no terminator', async () => {
      sut.garbageStream();
      const res = await chat('x', { stream: true });
      expect(res.status).toBe(200);
      const events = parseSse(await res.text());
      expect(events.length).toBeGreaterThan(0);
      expect(() => events.forEach((e) => JSON.parse(e.data))).toThrow();
      expect(events.some((e) => e.data === '[DONE]')).toBe(false);
    });

    it('should send an unparseable body on a non-stream request', async () => {
      sut.garbageStream();
      const res = await chat();
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(() => JSON.parse(text)).toThrow();
    });

    it('should send one frame then hang until the client leaves, and count the abort', async () => {
      sut.neverEnd();
      const res = await chat('hang', { stream: true });
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(parseSse(new TextDecoder().decode(first.value))).toHaveLength(1);
      const pending = Promise.race([
        reader.read().then(() => 'data'),
        new Promise((r) => setTimeout(() => r('silence'), 200)),
      ]);
      expect(await pending).toBe('silence');
      const cancelledAt = Date.now();
      await reader.cancel();
      await sut.waitForAborts(1, 1000);
      const rec = sut.lastRequest()!;
      expect(rec.abortedAt! - cancelledAt).toBeLessThan(100);
      expect(rec.faults).toEqual(['neverEnd']);
    });

    it('should pace frames with delayBetweenChunks until reset', async () => {
      sut.delayBetweenChunks(40);
      const started = Date.now();
      const res = await chat('paced', { stream: true });
      const reader = res.body!.getReader();
      const arrivals: number[] = [];
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        arrivals.push(Date.now() - started);
      }
      // 1 role chunk + 5 content chunks + finish + [DONE] = 8 frames, 40 ms apart
      expect(arrivals.length).toBeGreaterThanOrEqual(6);
      expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThanOrEqual(6 * 40 - 20);
      expect(sut.pendingFaults()).toBe(1);
      sut.reset();
      expect(sut.pendingFaults()).toBe(0);
    });

    it('should apply faults with times in order', async () => {
      sut.fail({ status: 500, times: 2 });
      sut.fail({ status: 503 });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await chat()).status);
      expect(statuses).toEqual([500, 500, 503, 200]);
    });
  });

  describe('recording and aborts', () => {
    it('should record method, path, query, headers, parsed body, time, route and answer', async () => {
      const before = Date.now();
      await post(
        '/v1beta/models/gemini-2.5-flash:generateContent?key=k1',
        { contents: [{ parts: [{ text: 'rec' }] }] },
        { 'x-extra': 'e' },
      );
      const rec = sut.lastRequest()!;
      expect(rec).toMatchObject({
        seq: expect.any(Number),
        method: 'POST',
        path: '/v1beta/models/gemini-2.5-flash:generateContent',
        query: { key: 'k1' },
        body: { contents: [{ parts: [{ text: 'rec' }] }] },
        route: 'gemini-generate',
        model: 'gemini-2.5-flash',
        apiKey: 'k1',
        stream: false,
        status: 200,
        faults: [],
      });
      expect(rec.headers['x-extra']).toBe('e');
      expect(rec.receivedAt).toBeGreaterThanOrEqual(before);
      expect(rec.answer?.text).toBe('echo: rec');
      expect(sut.requests()).toHaveLength(1);
      sut.clearRequests();
      expect(sut.requests()).toEqual([]);
      expect(sut.lastRequest()).toBeUndefined();
    });

    it('should keep a non-JSON body as text and answer 400', async () => {
      const res = await post('/v1/chat/completions', 'not json{');
      expect(res.status).toBe(400);
      expect(sut.lastRequest()?.body).toBe('not json{');
    });

    it('should count a client that aborts mid-stream within 100 ms, and not count finished requests', async () => {
      await (
        await post('/v1/chat/completions', {
          model: 'm',
          messages: [{ role: 'user', content: 'x' }],
        })
      ).text();
      sut.delayBetweenChunks(50);
      const ac = new AbortController();
      const res = await post(
        '/v1/chat/completions',
        { model: 'm', stream: true, messages: [{ role: 'user', content: 'slow' }] },
        {},
        ac.signal,
      );
      const reader = res.body!.getReader();
      await reader.read();
      const abortedAt = Date.now();
      ac.abort();
      await sut.waitForAborts(1, 1000);
      expect(sut.abortedCount()).toBe(1);
      const rec = sut.lastRequest()!;
      expect(rec.abortedAt! - abortedAt).toBeLessThan(100);
      expect(sut.requests()[0].abortedAt).toBeUndefined();
    });

    it('should count an abort during a slow first byte', async () => {
      sut.slowFirstByte({ ms: 2000 });
      const ac = new AbortController();
      const pending = post(
        '/v1/chat/completions',
        { model: 'm', messages: [{ role: 'user', content: 'x' }] },
        {},
        ac.signal,
      );
      setTimeout(() => ac.abort(), 50);
      await expect(pending).rejects.toThrow();
      await sut.waitForAborts(1, 1000);
      expect(sut.lastRequest()?.status).toBeUndefined();
    });
  });

  describe('onRequest hook', () => {
    it('should render a custom answer in the caller wire format', async () => {
      sut.onRequest(() => ({ answer: { text: 'custom words' } }));
      const res = await post(
        '/v1/messages',
        { model: 'c', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] },
        claudeHeaders,
      );
      const text = sseJson(await res.text())
        .filter((p) => p.type === 'content_block_delta')
        .map((p) => p.delta.text)
        .join('');
      expect(text).toBe('custom words');
    });

    it('should render custom tool calls', async () => {
      sut.onRequest(() => ({
        answer: { toolCalls: [{ name: 'custom_fn', arguments: { a: 1 } }] },
      }));
      const res = await post('/v1beta/models/g:generateContent', {
        contents: [{ parts: [{ text: 'x' }] }],
      });
      expect(parse(await res.text()).candidates[0].content.parts[0].functionCall).toEqual({
        name: 'custom_fn',
        args: { a: 1 },
      });
    });

    it('should replay a wire capture from test/fixtures byte for byte', async () => {
      const file = join(__dirname, '..', 'fixtures', 'openai', 'stream-tool-calls.sse');
      sut.onRequest(() => fixtureReply(file));
      sut.delayBetweenChunks(1);
      const res = await post('/v1/chat/completions', { model: 'm', stream: true, messages: [] });
      expect(await res.text()).toBe(readFileSync(file, 'utf8'));
    });

    it('should send raw bodies and raw chunks, and fall through on undefined', async () => {
      sut.onRequest((req) => {
        if (req.path.endsWith('/raw')) return { status: 418, body: { teapot: true } };
        if (req.path.endsWith('/chunks')) return { chunks: ['data: 1\n\n', 'data: 2\n\n'] };
        return undefined;
      });
      const raw = await post('/x/raw', {});
      expect(raw.status).toBe(418);
      expect(parse(await raw.text())).toEqual({ teapot: true });
      const chunks = await post('/x/chunks', {});
      expect(parseSse(await chunks.text()).map((e) => e.data)).toEqual(['1', '2']);
      const normal = await post('/v1/chat/completions', {
        model: 'm',
        messages: [{ role: 'user', content: 'n' }],
      });
      expect(parse(await normal.text()).choices[0].message.content).toBe('echo: n');
    });
  });

  describe('options', () => {
    let loose: FakeUpstream;

    beforeAll(async () => {
      loose = await FakeUpstream.start({
        strict: false,
        maxRecords: 0,
        streamChunks: 2,
        models: { gemini: ['only-model'] },
      });
    });

    afterAll(async () => {
      await loose.close();
    });

    it('should accept what the real API rejects when not strict, record nothing, and use the options', async () => {
      const claude = await fetch(`${loose.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'c',
          stream: true,
          messages: [{ role: 'user', content: 'loose' }],
        }),
      });
      expect(claude.status).toBe(200);
      const deltas = sseJson(await claude.text()).filter((p) => p.type === 'content_block_delta');
      expect(deltas.map((d) => d.delta.text)).toEqual(['echo: ', 'loose']);
      expect(loose.requests()).toEqual([]);
      const models = parse(await (await fetch(`${loose.url}/v1beta/models`)).text());
      expect(models.models.map((m: { name: string }) => m.name)).toEqual(['models/only-model']);
    });

    it('should never split a stream chunk inside a code point', async () => {
      const text = '😀🎉 naïve 中文 👍🏽';
      const res = await fetch(`${loose.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'm',
          stream: true,
          messages: [{ role: 'user', content: text }],
        }),
      });
      const pieces = sseJson(await res.text())
        .map((c) => c.choices[0]?.delta?.content ?? '')
        .filter((p: string) => p !== '');
      expect(pieces).toHaveLength(2);
      expect(pieces.join('')).toBe(`echo: ${text}`);
      for (const p of pieces) expect(p).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    });
  });

  describe('credential checks', () => {
    let locked: FakeUpstream;

    beforeAll(async () => {
      locked = await FakeUpstream.start({ apiKeys: ['right'] });
    });

    afterAll(async () => {
      await locked.close();
    });

    it('should answer each provider auth error when the key is wrong or missing', async () => {
      const claude = await fetch(`${locked.url}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'wrong' },
        body: '{}',
      });
      expect(claude.status).toBe(401);
      expect(parse(await claude.text()).error.type).toBe('authentication_error');
      const noKey = await fetch(`${locked.url}/v1beta/models/g:generateContent`, {
        method: 'POST',
        body: '{}',
      });
      expect(noKey.status).toBe(403);
      const badKey = await fetch(`${locked.url}/v1beta/models/g:generateContent?key=wrong`, {
        method: 'POST',
        body: '{}',
      });
      expect(badKey.status).toBe(400);
      expect(parse(await badKey.text()).error.message).toContain('API key not valid');
      const ok = await fetch(`${locked.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer right' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(ok.status).toBe(200);
    });
  });

  describe('official SDKs', () => {
    const weatherTool = {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        parameters: { type: 'object', properties: { query: { type: 'string' } } },
      },
    };

    it('should satisfy the openai client for chat, stream and non-stream, with tool calls', async () => {
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sut.url}/v1`, maxRetries: 0 });
      const plain = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'sdk hello' }],
      });
      expect(plain.choices[0].message.content).toBe('echo: sdk hello');
      expect(plain.usage?.total_tokens).toBeGreaterThan(0);

      const stream = client.chat.completions.stream({
        model: 'gpt-4o-mini',
        tools: [weatherTool],
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'call tool for Paris' }],
      });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0].message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
        query: 'call tool for Paris',
      });
      expect(final.choices[0].finish_reason).toBe('tool_calls');
      expect(final.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('should satisfy the openai client for responses, stream and non-stream', async () => {
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sut.url}/v1`, maxRetries: 0 });
      const plain = await client.responses.create({ model: 'gpt-5', input: 'responses hello' });
      expect(plain.output_text).toBe('echo: responses hello');
      expect(plain.usage?.input_tokens).toBeGreaterThan(0);

      const stream = client.responses.stream({
        model: 'gpt-5',
        reasoning: { effort: 'low', summary: 'auto' },
        tools: [
          {
            type: 'function',
            name: 'lookup',
            parameters: { type: 'object', properties: {} },
            strict: false,
          },
        ],
        input: 'call tool please',
      });
      const final = await stream.finalResponse();
      const call = final.output.find((o) => o.type === 'function_call');
      expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({
        query: 'call tool please',
      });
      const reasoning = final.output.find((o) => o.type === 'reasoning');
      expect(reasoning?.type === 'reasoning' && reasoning.summary[0]?.text).toBe(REASONING_TEXT);
      expect(final.status).toBe('completed');
    });

    it('should satisfy the anthropic client for create and stream, with thinking and tool use', async () => {
      const client = new Anthropic({ apiKey: 'sk-ant', baseURL: sut.url, maxRetries: 0 });
      // A name no SDK release lists as deprecated: the SDK warns on those at every call.
      const plain = await client.messages.create({
        model: 'claude-fixture-1',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'anthropic hello' }],
      });
      expect(plain.content[0].type === 'text' && plain.content[0].text).toBe(
        'echo: anthropic hello',
      );
      expect(plain.stop_reason).toBe('end_turn');

      const final = await client.messages
        .stream({
          model: 'claude-fixture-1',
          max_tokens: 2048,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
          messages: [{ role: 'user', content: 'call tool now' }],
        })
        .finalMessage();
      expect(final.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
      const thinking = final.content[0];
      expect(thinking.type === 'thinking' && thinking.thinking).toBe(REASONING_TEXT);
      expect(thinking.type === 'thinking' && thinking.signature.length).toBeGreaterThan(20);
      const tool = final.content[1];
      expect(tool.type === 'tool_use' && tool.input).toEqual({ query: 'call tool now' });
      expect(final.stop_reason).toBe('tool_use');
      expect(final.usage.output_tokens).toBeGreaterThan(0);
    });

    it('should satisfy the google genai client for generateContent and its stream', async () => {
      // Under jest the SDK cannot reach undici's global dispatcher (other realm): hand it fetch.
      const ai = new GoogleGenAI({
        apiKey: 'g-key',
        httpOptions: { baseUrl: sut.url, fetch: (input, init) => fetch(input, init) },
      });
      const plain = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'genai hello',
      });
      expect(plain.text).toBe('echo: genai hello');
      expect(plain.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
      expect(sut.lastRequest()).toMatchObject({ apiKey: 'g-key', route: 'gemini-generate' });

      const stream = await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'genai stream',
      });
      let text = '';
      for await (const chunk of stream) text += chunk.text ?? '';
      expect(text).toBe('echo: genai stream');

      const withTools = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'call tools',
        config: { tools: [{ functionDeclarations: [{ name: 'lookup' }, { name: 'weather' }] }] },
      });
      expect(withTools.functionCalls?.map((c) => [c.name, c.args])).toEqual([
        ['lookup', { query: 'call tools' }],
        ['weather', { query: 'call tools' }],
      ]);
    });
  });
});
