import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent, IRToolCallPart } from '@app/llm/ir/types';
import { buildGeminiCountTokensResponse, geminiCodec } from '@app/llm/formats/gemini';

/**
 * The official @google/genai client must accept what the codec emits. No network: a loopback
 * server answers with our bytes; assertions are on what the SDK surfaces.
 */

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

interface Seen {
  url: string;
  body: unknown;
}

let server: Server;
let baseUrl = '';
let reply: Reply = { status: 200, contentType: 'application/json', body: '{}' };
const seen: Seen[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    seen.push({ url: req.url ?? '', body: text ? (JSON.parse(text) as unknown) : undefined });
    res.writeHead(reply.status, { 'content-type': reply.contentType });
    res.end(reply.body);
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  // The SDK warns on every `.text` read of a response that also holds a function call.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/**
 * Inside Jest's VM sandbox the SDK cannot reach Node's internal Undici dispatcher, so it is given
 * the platform fetch explicitly; the bytes still travel over a real loopback HTTP connection.
 */
const client = () =>
  new GoogleGenAI({
    apiKey: 'x',
    httpOptions: { baseUrl, fetch: (input, init) => fetch(input, init) },
  });

const ctx = (init: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'claude-sonnet-4-5', requestedModel: 'gemini-2.5-pro', ...init });

/** What another upstream (here Claude) answered, as IR. */
const answer: IRResponse = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  model: 'gemini-2.5-pro',
  created: 1700000000,
  sourceFormat: 'claude',
  extra: {},
  candidates: [
    {
      index: 0,
      stopReason: 'tool_calls',
      content: [
        { type: 'reasoning', text: 'The user wants weather.', signature: 'c2lnbmF0dXJl' },
        { type: 'text', text: 'Let me look that up.' },
        {
          type: 'tool_call',
          id: 'toolu_01A09q90qw90lq917835lq9',
          name: 'get_weather',
          arguments: '{"city":"Oslo","days":3,"units":{"temp":"C"}}',
        },
      ],
    },
  ],
  usage: {
    inputTokens: 120,
    outputTokens: 45,
    reasoningTokens: 15,
    cachedTokens: 30,
    totalTokens: 165,
  },
};

const streamEvents: IRStreamEvent[] = [
  { type: 'start', id: 'msg_stream', model: 'claude-sonnet-4-5', created: 1 },
  { type: 'reasoning_delta', text: 'Considering…' },
  { type: 'text_delta', text: 'Checking the ' },
  { type: 'text_delta', text: 'forecast.' },
  { type: 'tool_call_start', callIndex: 0, id: 'toolu_stream', name: 'get_weather' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"city":"Os' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: 'lo","days":3}' },
  { type: 'tool_call_end', callIndex: 0 },
  { type: 'finish', stopReason: 'tool_calls' },
  {
    type: 'usage',
    usage: {
      inputTokens: 50,
      outputTokens: 20,
      reasoningTokens: 5,
      cachedTokens: 0,
      totalTokens: 70,
    },
  },
  { type: 'end' },
];

function encodeStream(events: IRStreamEvent[], c = ctx()): string {
  const encoder = geminiCodec.createStreamEncoder(c);
  return events.flatMap((e) => encoder.push(e)).join('');
}

describe('gemini codec with @google/genai', () => {
  it('should give generateContent text, function calls, usage and finish reason', async () => {
    reply = {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(geminiCodec.buildResponse(answer, ctx())),
    };

    const response = await client().models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'Weather in Oslo?',
    });

    expect(response.text).toBe('Let me look that up.');
    expect(response.functionCalls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        args: { city: 'Oslo', days: 3, units: { temp: 'C' } },
      },
    ]);
    expect(response.candidates?.[0].finishReason).toBe('STOP');
    expect(response.candidates?.[0].content?.parts?.[0]).toMatchObject({
      thought: true,
      thoughtSignature: 'c2lnbmF0dXJl',
    });
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 120,
      candidatesTokenCount: 30,
      thoughtsTokenCount: 15,
      cachedContentTokenCount: 30,
      totalTokenCount: 165,
    });
    expect(response.responseId).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(seen[0].url).toContain('/models/gemini-2.5-pro:generateContent');
  });

  it('should give generateContentStream the text, the whole call and the final usage', async () => {
    reply = { status: 200, contentType: 'text/event-stream', body: encodeStream(streamEvents) };

    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-pro',
      contents: 'Weather in Oslo?',
    });
    let text = '';
    const calls: unknown[] = [];
    let last: Awaited<ReturnType<typeof stream.next>>['value'];
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      calls.push(...(chunk.functionCalls ?? []));
      last = chunk;
    }

    expect(text).toBe('Checking the forecast.');
    expect(calls).toEqual([
      { id: 'toolu_stream', name: 'get_weather', args: { city: 'Oslo', days: 3 } },
    ]);
    expect(last?.candidates?.[0].finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({
      promptTokenCount: 50,
      candidatesTokenCount: 15,
      thoughtsTokenCount: 5,
      totalTokenCount: 70,
    });
    expect(seen[0].url).toContain(':streamGenerateContent?alt=sse');
  });

  it('should surface a stream error event as an ApiError with its status', async () => {
    reply = {
      status: 200,
      contentType: 'text/event-stream',
      body: encodeStream([
        { type: 'text_delta', text: 'partial' },
        { type: 'error', status: 503, errorType: 'overloaded_error', message: 'Overloaded' },
      ]),
    };

    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-pro',
      contents: 'x',
    });
    const texts: string[] = [];
    const consume = async () => {
      for await (const chunk of stream) texts.push(chunk.text ?? '');
    };

    await expect(consume()).rejects.toMatchObject({ name: 'ApiError', status: 503 });
  });

  it('should surface buildError bodies as ApiError with status and message', async () => {
    reply = {
      status: 429,
      contentType: 'application/json',
      body: JSON.stringify(
        geminiCodec.buildError({ status: 429, type: 'rate_limit_error', message: 'Slow down' }),
      ),
    };

    const call = client().models.generateContent({ model: 'gemini-2.5-pro', contents: 'x' });

    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({
      status: 429,
      message: expect.stringContaining('Slow down'),
    });
  });

  it('should answer countTokens with totalTokens', async () => {
    reply = {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(buildGeminiCountTokensResponse(42)),
    };

    const result = await client().models.countTokens({ model: 'gemini-2.5-pro', contents: 'x' });

    expect(result.totalTokens).toBe(42);
  });

  it('should parse the request body the SDK sends, tools and config included', async () => {
    reply = {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(geminiCodec.buildResponse(answer, ctx())),
    };

    await client().models.generateContent({
      model: 'gemini-2.5-pro',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
        {
          role: 'model',
          parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { output: 'Sunny, 21C' } } },
          ],
        },
      ],
      config: {
        systemInstruction: 'Be brief.',
        temperature: 0.4,
        maxOutputTokens: 256,
        thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Weather by city',
                parameters: {
                  type: Type.OBJECT,
                  properties: { city: { type: Type.STRING } },
                  required: ['city'],
                },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } },
      },
    });

    const ir = geminiCodec.parseRequest(seen[0].body, ctx());
    expect(ir.system).toEqual([{ type: 'text', text: 'Be brief.' }]);
    expect(ir.sampling).toMatchObject({ temperature: 0.4, maxTokens: 256 });
    expect(ir.reasoning).toEqual({ budget: 2048, includeThoughts: true });
    expect(ir.toolChoice).toEqual({ type: 'required' });
    expect(ir.tools?.[0]).toMatchObject({
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    });
    const call = ir.messages[1].content[0] as IRToolCallPart;
    expect(ir.messages[2].content[0]).toMatchObject({
      type: 'tool_result',
      callId: call.id,
      content: [{ type: 'text', text: 'Sunny, 21C' }],
    });
  });
});
