import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStopReason } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { buildClaudeResponse, parseClaudeResponse } from '@app/llm/formats/claude/response';
import {
  stopReasonFromClaude,
  stopReasonToClaude,
  usageFromClaude,
  usageToClaude,
} from '@app/llm/formats/claude/mapping';

type Loose = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const fixture = (name: string): Loose => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctx = (): TranslationContext => createContext({ upstreamModel: 'claude-sonnet-4-6' });

function foreignResponse(patch: Partial<IRResponse>): IRResponse {
  return {
    id: 'chatcmpl-123',
    model: 'gpt-4o',
    created: 1700000000,
    candidates: [{ index: 0, content: [] }],
    sourceFormat: 'openai',
    extra: {},
    ...patch,
  };
}

describe(parseClaudeResponse.name, () => {
  it('should read a text answer with its stop reason and usage', () => {
    const ir = parseClaudeResponse(fixture('messages-response-text.json'), ctx());
    expect(ir.id).toBe('msg_013Zva2CMHLNnXjNJJKqJ2EF');
    expect(ir.model).toBe('claude-sonnet-4-6');
    expect(ir.candidates).toEqual([
      {
        index: 0,
        content: [{ type: 'text', text: 'Hello! How can I help you today?' }],
        stopReason: 'stop',
      },
    ]);
    expect(ir.usage).toEqual({
      inputTokens: 12,
      outputTokens: 12,
      reasoningTokens: 0,
      cachedTokens: 0,
      cacheCreationTokens: 0,
      totalTokens: 24,
    });
  });

  it('should read a tool call whose arguments parse as the original input', () => {
    const body = fixture('messages-response-tool-use.json');
    const ir = parseClaudeResponse(body, ctx());
    const [text, call] = ir.candidates[0].content;
    expect(text).toEqual({
      type: 'text',
      text: "I'll look up the current weather in San Francisco for you.",
    });
    expect(call).toMatchObject({
      type: 'tool_call',
      id: 'toolu_01A09q90qw90lq917835lq9',
      name: 'get_weather',
    });
    expect(call.type === 'tool_call' && JSON.parse(call.arguments)).toEqual(body.content[1].input);
    expect(ir.candidates[0].stopReason).toBe('tool_calls');
  });

  it('should count cache reads and writes into input tokens', () => {
    const ir = parseClaudeResponse(fixture('messages-response-tool-use.json'), ctx());
    expect(ir.usage).toEqual({
      inputTokens: 381 + 1024 + 2048,
      outputTokens: 77,
      reasoningTokens: 0,
      cachedTokens: 2048,
      cacheCreationTokens: 1024,
      totalTokens: 381 + 1024 + 2048 + 77,
    });
  });

  it('should read thinking with its signature and the thinking token count', () => {
    const ir = parseClaudeResponse(fixture('messages-response-thinking.json'), ctx());
    expect(ir.candidates[0].content[0]).toEqual({
      type: 'reasoning',
      text: expect.stringContaining('27 * 453'),
      signature: expect.stringMatching(/^EuYB/),
    });
    expect(ir.usage?.reasoningTokens).toBe(89);
  });

  it('should read the stop sequence that ended generation', () => {
    const ir = parseClaudeResponse(fixture('messages-response-stop-sequence.json'), ctx());
    expect(ir.candidates[0]).toMatchObject({
      stopReason: 'stop_sequence',
      stopSequence: '</answer>',
    });
  });

  it('should reject a body without a content array', () => {
    expect(() => parseClaudeResponse({ type: 'message', content: 'x' }, ctx())).toThrow(
      TranslationError,
    );
    expect(() => parseClaudeResponse([], ctx())).toThrow(TranslationError);
  });
});

describe(buildClaudeResponse.name, () => {
  it.each([
    'messages-response-text.json',
    'messages-response-tool-use.json',
    'messages-response-thinking.json',
    'messages-response-stop-sequence.json',
  ])('should reproduce %s for a Claude client', (name) => {
    const body = fixture(name);
    const c = ctx();
    const out: Loose = buildClaudeResponse(parseClaudeResponse(body, c), c);
    delete body.usage.service_tier;
    expect(out).toEqual(body);
  });

  it('should keep blocks Claude ran itself when the upstream is Claude', () => {
    const body = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
        { type: 'text', text: 'Found it.', citations: [{ type: 'web_search_result_location' }] },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 2 },
    };
    const c = ctx();
    const out: Loose = buildClaudeResponse(parseClaudeResponse(body, c), c);
    expect(out.content).toEqual(body.content);
  });

  it('should render another format: tool calls, a Gemini-style stop and cached usage', () => {
    const out: Loose = buildClaudeResponse(
      foreignResponse({
        candidates: [
          {
            index: 0,
            stopReason: 'stop',
            content: [
              { type: 'reasoning', text: 'Need the weather.' },
              { type: 'text', text: 'Checking ' },
              { type: 'text', text: 'now.' },
              {
                type: 'tool_call',
                id: 'call_1',
                name: 'get_weather',
                arguments: '{"city":"Oslo"}',
              },
            ],
          },
        ],
        usage: {
          inputTokens: 100,
          outputTokens: 20,
          reasoningTokens: 5,
          cachedTokens: 60,
          totalTokens: 120,
        },
      }),
      ctx(),
    );
    expect(out.id).toMatch(/^msg_/);
    expect(out).toMatchObject({ type: 'message', role: 'assistant', model: 'gpt-4o' });
    expect(out.content).toEqual([
      { type: 'thinking', thinking: 'Need the weather.', signature: '' },
      { type: 'text', text: 'Checking now.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect(out.stop_reason).toBe('tool_use');
    expect(out.stop_sequence).toBeNull();
    expect(out.usage).toEqual({
      input_tokens: 40,
      output_tokens: 20,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 0,
      output_tokens_details: { thinking_tokens: 5 },
    });
  });

  it('should give a tool call without an id (some Gemini hosts) a Claude id', () => {
    const out: Loose = buildClaudeResponse(
      foreignResponse({
        candidates: [
          { index: 0, content: [{ type: 'tool_call', id: '', name: 'f', arguments: '{}' }] },
        ],
      }),
      ctx(),
    );
    expect(out.content[0].id).toMatch(/^toolu_\w+$/);
    expect(out.stop_reason).toBe('tool_use');
  });

  it('should render an empty answer without usage as an end_turn with zero usage', () => {
    const out: Loose = buildClaudeResponse(foreignResponse({ candidates: [] }), ctx());
    expect(out.content).toEqual([]);
    expect(out.stop_reason).toBe('end_turn');
    expect(out.usage.input_tokens).toBe(0);
  });
});

describe('claude stop reasons and usage', () => {
  it.each([
    ['end_turn', 'stop'],
    ['tool_use', 'tool_calls'],
    ['max_tokens', 'length'],
    ['stop_sequence', 'stop_sequence'],
    ['refusal', 'refusal'],
    ['pause_turn', 'pause'],
    ['model_context_window_exceeded', 'length'],
  ])('should read %s as %s', (claude, ir) => {
    expect(stopReasonFromClaude(claude)).toBe(ir);
  });

  it.each<[IRStopReason, boolean, string]>([
    ['stop', false, 'end_turn'],
    ['stop', true, 'tool_use'],
    ['tool_calls', true, 'tool_use'],
    ['length', false, 'max_tokens'],
    ['stop_sequence', false, 'stop_sequence'],
    ['refusal', false, 'refusal'],
    ['content_filter', false, 'refusal'],
    ['pause', false, 'pause_turn'],
    ['error', false, 'end_turn'],
  ])('should write %s (tool calls: %s) as %s', (ir, hasTools, claude) => {
    expect(stopReasonToClaude(ir, hasTools)).toBe(claude);
  });

  it('should ignore unknown stop reasons', () => {
    expect(stopReasonFromClaude('banana')).toBeUndefined();
    expect(stopReasonFromClaude(null)).toBeUndefined();
  });

  it('should round-trip usage through the IR', () => {
    const claude = {
      input_tokens: 10,
      output_tokens: 7,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 5,
      output_tokens_details: { thinking_tokens: 2 },
    };
    const ir = usageFromClaude(claude);
    expect(ir).toMatchObject({ inputTokens: 18, cachedTokens: 5, cacheCreationTokens: 3 });
    expect(usageToClaude(ir)).toEqual(claude);
  });

  it('should let a partial usage keep the fields it leaves out', () => {
    const start = usageFromClaude({
      input_tokens: 10,
      cache_read_input_tokens: 90,
      output_tokens: 1,
    });
    expect(usageFromClaude({ output_tokens: 50 }, start)).toEqual({
      inputTokens: 100,
      outputTokens: 50,
      reasoningTokens: 0,
      cachedTokens: 90,
      cacheCreationTokens: 0,
      totalTokens: 150,
    });
  });
});
