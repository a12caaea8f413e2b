import {
  buildPassthroughRequest,
  isSameWire,
  type PassthroughRequestOptions,
} from '@app/llm/passthrough/passthrough-request';
import { parseModelSuffix } from '@app/llm/util/thinking';

type Loose = ReturnType<typeof JSON.parse>;

/** A Claude Code body with everything the IR does not model. */
const CLAUDE_CODE = {
  model: 'claude-opus-4-7',
  max_tokens: 32000,
  stream: true,
  system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral', ttl: '1h' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    { role: 'system', content: 'mid-conversation rule' },
    { role: 'assistant', content: [{ type: 'server_tool_use', id: 's1', name: 'web_search' }] },
    { role: 'user', content: [{ type: 'brand_new_block', payload: { x: 1 } }] },
  ],
  thinking: { type: 'adaptive', display: 'summarized' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  output_config: { effort: 'high', future_knob: true },
  metadata: { user_id: 'u' },
  speed: 'fast',
};

const opts = (o: Partial<PassthroughRequestOptions>): PassthroughRequestOptions => ({
  client: 'claude',
  upstream: 'claude',
  model: 'claude-opus-4-7-20260101',
  stream: true,
  ...o,
});

describe(isSameWire.name, () => {
  it.each([
    ['claude', 'claude', true],
    ['openai', 'openai', true],
    ['openai-responses', 'codex', true],
    ['gemini', 'gemini', true],
    ['gemini', 'gemini-cli', true],
    ['gemini-cli', 'gemini', true],
    ['claude', 'openai', false],
    ['openai', 'codex', false],
    ['gemini', 'antigravity', false],
    ['openai-completions', 'openai', false],
  ] as const)('%s → %s is %s', (client, upstream, same) => {
    expect(isSameWire(client, upstream)).toBe(same);
  });
});

describe(buildPassthroughRequest.name, () => {
  it('should change only the model of a Claude body, keeping every field it does not know', () => {
    const sut = buildPassthroughRequest(CLAUDE_CODE, opts({}));
    expect(sut.body).toEqual({ ...CLAUDE_CODE, model: 'claude-opus-4-7-20260101' });
    expect(JSON.stringify(sut.body)).toBe(
      JSON.stringify(CLAUDE_CODE).replace('"claude-opus-4-7"', '"claude-opus-4-7-20260101"'),
    );
    expect(sut.usageInjected).toBe(false);
  });

  it('should never change the client body', () => {
    const body = structuredClone(CLAUDE_CODE);
    buildPassthroughRequest(body, opts({ reasoning: { budget: 4096 }, stream: false }));
    expect(body).toEqual(CLAUDE_CODE);
  });

  it('should apply a thinking suffix to a Claude body as the translated path would', () => {
    const { reasoning } = parseModelSuffix('claude-x(8192)');
    const sut = buildPassthroughRequest(
      { model: 'claude-x(8192)', max_tokens: 1000, temperature: 0.2, top_k: 5, messages: [] },
      opts({ reasoning, stream: false }),
    ).body;
    expect(sut.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(sut.max_tokens).toBe(9192);
    expect(sut).not.toHaveProperty('temperature');
    expect(sut).not.toHaveProperty('top_k');
    expect(sut).not.toHaveProperty('stream');

    const off = buildPassthroughRequest(
      { model: 'm(none)', thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [] },
      opts({ reasoning: parseModelSuffix('m(none)').reasoning }),
    ).body;
    expect(off).not.toHaveProperty('thinking');
    const forced = buildPassthroughRequest(
      { model: 'm', tool_choice: { type: 'any' }, messages: [] },
      opts({ reasoning: { level: 'high' } }),
    ).body;
    expect(forced).not.toHaveProperty('thinking');
  });

  it('should set the stream flag the upstream call needs, leaving an absent one absent', () => {
    expect(buildPassthroughRequest({ model: 'm' }, opts({ stream: false })).body).toEqual({
      model: 'claude-opus-4-7-20260101',
    });
    expect(
      buildPassthroughRequest({ model: 'm', stream: true }, opts({ stream: false })).body.stream,
    ).toBe(false);
  });

  it('should ask an OpenAI stream for usage and say when the client had not', () => {
    const chat = { model: 'gpt', messages: [{ role: 'user', content: 'x' }], seed: 7, x_new: 1 };
    const sut = buildPassthroughRequest(
      { ...chat, stream: true },
      opts({ client: 'openai', upstream: 'openai', model: 'gpt-up' }),
    );
    expect(sut.body).toEqual({
      ...chat,
      model: 'gpt-up',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(sut.usageInjected).toBe(true);
    const asked = buildPassthroughRequest(
      { ...chat, stream: true, stream_options: { include_usage: true } },
      opts({ client: 'openai', upstream: 'openai' }),
    );
    expect(asked.usageInjected).toBe(false);
    expect(
      buildPassthroughRequest(chat, opts({ client: 'openai', upstream: 'openai', stream: false }))
        .usageInjected,
    ).toBe(false);
  });

  it('should turn a suffix into reasoning_effort for OpenAI and reasoning.effort for Responses', () => {
    const chat = buildPassthroughRequest(
      { model: 'gpt(high)', messages: [] },
      opts({ client: 'openai', upstream: 'openai', stream: false, reasoning: { level: 'high' } }),
    ).body;
    expect(chat.reasoning_effort).toBe('high');
    const responses = buildPassthroughRequest(
      { model: 'gpt(low)', input: 'x', reasoning: { summary: 'auto' } },
      opts({
        client: 'openai-responses',
        upstream: 'openai-responses',
        stream: false,
        reasoning: { level: 'low' },
      }),
    ).body;
    expect(responses.reasoning).toEqual({ summary: 'auto', effort: 'low' });
  });

  it('should give the Codex backend what it requires and keep the rest of a Responses body', () => {
    const body = {
      model: 'gpt-5-codex',
      input: 'write a test',
      temperature: 0.3,
      max_output_tokens: 100,
      prompt_cache_key: 'k1',
      text: { verbosity: 'low' },
      some_future_field: { a: 1 },
    };
    const sut = buildPassthroughRequest(
      body,
      opts({ client: 'openai-responses', upstream: 'codex', model: 'gpt-5-codex', stream: true }),
    ).body as Loose;
    expect(sut).toEqual({
      model: 'gpt-5-codex',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'write a test' }] },
      ],
      prompt_cache_key: 'k1',
      text: { verbosity: 'low' },
      some_future_field: { a: 1 },
      instructions: '',
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      parallel_tool_calls: true,
    });
  });

  it('should forward a Codex CLI body unchanged but for the model', () => {
    const cli = {
      model: 'gpt-5-codex',
      instructions: 'You are Codex.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      tools: [{ type: 'function', name: 'shell', parameters: { type: 'object' } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'session-1',
    };
    const sut = buildPassthroughRequest(
      cli,
      opts({ client: 'openai-responses', upstream: 'codex', model: 'gpt-5.1-codex' }),
    ).body;
    expect(sut).toEqual({ ...cli, model: 'gpt-5.1-codex' });
  });

  it('should leave a Gemini body alone (the model is in the URL) unless a suffix asks for thinking', () => {
    const body = {
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      generationConfig: { temperature: 0.1, responseModalities: ['TEXT'] },
      cachedContent: 'cachedContents/1',
    };
    const plain = buildPassthroughRequest(
      body,
      opts({ client: 'gemini', upstream: 'gemini', model: 'gemini-2.5-pro' }),
    ).body;
    expect(plain).toEqual(body);
    const thinking = buildPassthroughRequest(
      body,
      opts({
        client: 'gemini',
        upstream: 'gemini',
        model: 'gemini-2.5-pro',
        reasoning: { budget: 2048 },
      }),
    ).body as Loose;
    expect(thinking.generationConfig).toEqual({
      temperature: 0.1,
      responseModalities: ['TEXT'],
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    const snake = buildPassthroughRequest(
      { contents: [], generation_config: { temperature: 1 } },
      opts({ client: 'gemini', upstream: 'gemini', reasoning: { budget: 0 } }),
    ).body as Loose;
    expect(snake).toEqual({
      contents: [],
      generation_config: { temperature: 1, thinking_config: { thinkingBudget: 0 } },
    });
  });

  it('should wrap a Gemini body in the Code Assist envelope and unwrap it again', () => {
    const inner = { contents: [{ role: 'user', parts: [{ text: 'x' }] }], labels: { a: 'b' } };
    const wrapped = buildPassthroughRequest(
      inner,
      opts({ client: 'gemini', upstream: 'gemini-cli', model: 'gemini-2.5-pro', project: 'p-1' }),
    ).body;
    expect(wrapped).toEqual({ model: 'gemini-2.5-pro', project: 'p-1', request: inner });

    const envelope = {
      model: 'gemini-alias',
      project: 'client-project',
      user_prompt_id: 'u-1',
      request: inner,
    };
    const same = buildPassthroughRequest(
      envelope,
      opts({
        client: 'gemini-cli',
        upstream: 'gemini-cli',
        model: 'gemini-2.5-pro',
        project: 'p-1',
      }),
    ).body;
    expect(same).toEqual({ ...envelope, model: 'gemini-2.5-pro', project: 'p-1' });

    const unwrapped = buildPassthroughRequest(
      envelope,
      opts({ client: 'gemini-cli', upstream: 'gemini', model: 'gemini-2.5-pro' }),
    ).body;
    expect(unwrapped).toEqual(inner);
  });
});
