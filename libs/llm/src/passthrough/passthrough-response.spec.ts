import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import { StreamCollectError } from '@app/llm/ir/collect';
import type { WireFormat } from '@app/llm/ir/types';
import {
  answerShaper,
  ResponsesCollector,
  wholeUsage,
  withResponseModel,
} from '@app/llm/passthrough/passthrough-response';

type Loose = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const text = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const json = (path: string): Loose => JSON.parse(text(path));
const ctx = () => createContext({ upstreamModel: 'm' });

describe(wholeUsage.name, () => {
  it.each<[WireFormat, string]>([
    ['claude', 'claude/messages-response-thinking.json'],
    ['openai', 'openai/chat-response-reasoning.json'],
    ['openai-responses', 'openai-responses/response-tool-call.json'],
    ['gemini', 'gemini/generate-content-response-function-call.json'],
    ['gemini-cli', 'gemini-cli/generate-content-response.json'],
  ])('should read %s usage as the codec does (%s)', (format, path) => {
    const body = json(path);
    const want = codecFor(format).parseResponse(body, ctx()).usage;
    expect(want).toBeDefined();
    expect(wholeUsage(format, body)).toEqual(want);
  });
});

describe(answerShaper.name, () => {
  it('should pass answers through untouched between the same wire', () => {
    const sut = answerShaper('claude', 'claude');
    expect(sut.identity).toBe(true);
    expect(sut.whole('{"a":1}', { a: 1 })).toBe('{"a":1}');
  });

  it('should take Code Assist answers out of their envelope for a Gemini client', () => {
    const sut = answerShaper('gemini', 'gemini-cli');
    const envelope = json('gemini-cli/generate-content-response.json');
    expect(sut.identity).toBe(false);
    expect(JSON.parse(sut.whole(JSON.stringify(envelope), envelope))).toEqual(envelope.response);
    expect(JSON.parse(sut.event('{"response":{"candidates":[]},"traceId":"t"}'))).toEqual({
      candidates: [],
    });
    // Errors travel bare.
    expect(sut.event('{"error":{"code":429}}')).toBe('{"error":{"code":429}}');
  });

  it('should put Gemini answers into the envelope for a Code Assist client, without parsing', () => {
    const sut = answerShaper('gemini-cli', 'gemini');
    expect(sut.whole('{"candidates":[ ]}', undefined)).toBe('{"response":{"candidates":[ ]}}');
    expect(sut.event('{"candidates":[]}')).toBe('{"response":{"candidates":[]}}');
    expect(sut.event('{"error":{"code":500}}')).toBe('{"error":{"code":500}}');
  });

  it('should answer with the name the client asked for when the gateway mapped it', () => {
    const sut = answerShaper('claude', 'claude', 'amp-alias');
    expect(
      JSON.parse(
        sut.event('{"type":"message_start","message":{"model":"claude-real","content":[]}}'),
      ),
    ).toEqual({ type: 'message_start', message: { model: 'amp-alias', content: [] } });
    expect(JSON.parse(sut.whole('{"model":"x","id":"1"}', { model: 'x', id: '1' }))).toEqual({
      model: 'amp-alias',
      id: '1',
    });
  });
});

describe(withResponseModel.name, () => {
  it('should rename every place a format names its model, and nothing else', () => {
    const input = { model: 'a', response: { model: 'b', id: 'r' }, modelVersion: 'c', x: 'a' };
    expect(withResponseModel(input, 'z')).toEqual({
      model: 'z',
      response: { model: 'z', id: 'r' },
      modelVersion: 'z',
      x: 'a',
    });
    expect(input.model).toBe('a');
  });
});

describe(ResponsesCollector.name, () => {
  it('should collect a Codex stream into its final response with usage', () => {
    const sut = new ResponsesCollector(ctx());
    expect(sut.push(text('codex/stream-reasoning-text-tool.sse'))).toBe('');
    sut.flush();
    expect(sut.finished).toBe(true);
    const response = sut.response();
    expect(response.status).toBe('completed');
    expect((response.output as Loose[]).map((o: Loose) => o.type)).toEqual(
      expect.arrayContaining(['reasoning', 'message', 'function_call']),
    );
    expect(sut.usage?.inputTokens).toBeGreaterThan(0);
  });

  it('should fill an empty terminal output from the output_item.done events', () => {
    const sut = new ResponsesCollector(ctx());
    const item = { id: 'msg_1', type: 'message', role: 'assistant', content: [] };
    const done = { type: 'response.output_item.done', output_index: 0, item };
    sut.push(`event: response.output_item.done\ndata: ${JSON.stringify(done)}\n\n`);
    const completed = {
      type: 'response.completed',
      response: { id: 'r', status: 'completed', output: [], usage: { input_tokens: 3 } },
    };
    sut.push(`event: response.completed\ndata: ${JSON.stringify(completed)}\n\n`);
    expect(sut.response()).toEqual({ ...completed.response, output: [item] });
  });

  it('should report the failure of a failed stream and refuse a result for it or a cut one', () => {
    const failed = new ResponsesCollector(ctx());
    failed.push(text('openai-responses/stream-failed.sse'));
    expect(failed.failure).toMatchObject({ status: expect.any(Number) });
    expect(() => failed.response()).toThrow(StreamCollectError);

    const cut = new ResponsesCollector(ctx());
    const whole = text('codex/stream-text.sse');
    cut.push(whole.slice(0, whole.indexOf('event: response.completed')));
    expect(cut.finished).toBe(false);
    expect(() => cut.response()).toThrow(/ended before the response was complete/);
  });
});
