import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { codecFor } from '@app/llm/formats';
import type { TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { StreamCollectError, StreamCollector } from '@app/llm/ir/collect';

/** Aggregate a whole IR event sequence into one response. */
function collectStream(events: Iterable<IRStreamEvent>, c: TranslationContext): IRResponse {
  const collector = new StreamCollector(c);
  for (const ev of events) collector.push(ev);
  return collector.result();
}

const ctx = () => createContext({ upstreamModel: 'up-model', requestedModel: 'client-model' });

const usage = (n: number): IRUsage => ({
  inputTokens: n,
  outputTokens: 1,
  reasoningTokens: 0,
  cachedTokens: 0,
  totalTokens: n + 1,
});

describe(StreamCollector.name, () => {
  it('should assemble text, reasoning with its signature and interleaved tool arguments in order', () => {
    const sut = new StreamCollector(ctx(), 'claude');
    const events: IRStreamEvent[] = [
      { type: 'start', id: 'msg_1', model: 'claude-x', created: 1700000000 },
      { type: 'reasoning_delta', text: 'Let me ' },
      { type: 'reasoning_delta', text: 'think.' },
      { type: 'reasoning_signature', signature: 'sig-1' },
      { type: 'text_delta', text: 'Hello' },
      { type: 'text_delta', text: ' world' },
      { type: 'tool_call_start', callIndex: 0, id: 'call_a', name: 'f' },
      { type: 'tool_call_start', callIndex: 1, id: 'call_b', name: 'g', signature: 'ts' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"x":' },
      { type: 'tool_call_delta', callIndex: 1, argumentsDelta: '{"y":2}' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '1}' },
      { type: 'tool_call_end', callIndex: 0 },
      { type: 'usage', usage: usage(5) },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: usage(9) },
      { type: 'end' },
    ];
    for (const e of events) sut.push(e);
    expect(sut.ended).toBe(true);
    expect(sut.result()).toEqual({
      id: 'msg_1',
      model: 'claude-x',
      created: 1700000000,
      candidates: [
        {
          index: 0,
          stopReason: 'tool_calls',
          content: [
            { type: 'reasoning', text: 'Let me think.', signature: 'sig-1' },
            { type: 'text', text: 'Hello world' },
            { type: 'tool_call', id: 'call_a', name: 'f', arguments: '{"x":1}' },
            { type: 'tool_call', id: 'call_b', name: 'g', arguments: '{"y":2}', signature: 'ts' },
          ],
        },
      ],
      usage: usage(9),
      sourceFormat: 'claude',
      extra: {},
    });
  });

  it('should keep separate text parts around a tool call and start new reasoning after a signature', () => {
    const out = collectStream(
      [
        { type: 'reasoning_delta', text: 'a' },
        { type: 'reasoning_signature', encrypted: 'enc-a' },
        { type: 'reasoning_delta', text: 'b' },
        { type: 'text_delta', text: 'before' },
        { type: 'tool_call_start', callIndex: 0, id: 'c', name: 'f' },
        { type: 'text_delta', text: 'after' },
        { type: 'reasoning_signature', encrypted: 'enc-only' },
      ],
      ctx(),
    );
    expect(out.candidates[0].content).toEqual([
      { type: 'reasoning', text: 'a', encrypted: 'enc-a' },
      { type: 'reasoning', text: 'b' },
      { type: 'text', text: 'before' },
      { type: 'tool_call', id: 'c', name: 'f', arguments: '' },
      { type: 'text', text: 'after' },
      { type: 'reasoning', text: '', encrypted: 'enc-only' },
    ]);
  });

  it('should default ids and model, and infer the stop reason when no finish came', () => {
    const withCall = collectStream(
      [{ type: 'tool_call_start', callIndex: 0, id: 'c', name: 'f' }, { type: 'end' }],
      ctx(),
    );
    expect(withCall.model).toBe('client-model');
    expect(withCall.id).toMatch(/^resp_/);
    expect(withCall.candidates[0].stopReason).toBe('tool_calls');
    expect(withCall.usage).toBeUndefined();
    const empty = collectStream([], ctx());
    expect(empty.candidates).toEqual([{ index: 0, content: [], stopReason: 'stop' }]);
  });

  it('should keep candidates apart and sorted, with their stop sequences', () => {
    const out = collectStream(
      [
        { type: 'text_delta', text: 'one', candidate: 1 },
        { type: 'text_delta', text: 'zero' },
        { type: 'finish', stopReason: 'stop_sequence', stopSequence: '###', candidate: 1 },
        { type: 'finish', stopReason: 'length' },
      ],
      ctx(),
    );
    expect(out.candidates).toEqual([
      { index: 0, content: [{ type: 'text', text: 'zero' }], stopReason: 'length' },
      {
        index: 1,
        content: [{ type: 'text', text: 'one' }],
        stopReason: 'stop_sequence',
        stopSequence: '###',
      },
    ]);
  });

  it('should keep arguments that arrive without a start', () => {
    const out = collectStream(
      [{ type: 'tool_call_delta', callIndex: 3, argumentsDelta: '{}' }],
      ctx(),
    );
    expect(out.candidates[0].content).toEqual([
      { type: 'tool_call', id: expect.stringMatching(/^call_/), name: '', arguments: '{}' },
    ]);
  });

  it('should throw the stream error from result()', () => {
    const sut = new StreamCollector(ctx());
    sut.push({ type: 'text_delta', text: 'partial' });
    sut.push({ type: 'error', status: 429, errorType: 'rate_limit_error', message: 'Too many' });
    sut.push({ type: 'error', status: 500, errorType: 'api_error', message: 'second' });
    expect(sut.error).toMatchObject({ message: 'Too many' });
    let caught: unknown;
    try {
      sut.result();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StreamCollectError);
    expect((caught as StreamCollectError).toWireError()).toEqual({
      status: 429,
      type: 'rate_limit_error',
      message: 'Too many',
    });
  });

  it('should accept any iterable, such as a generator', () => {
    function* gen(): Generator<IRStreamEvent> {
      yield { type: 'text_delta', text: 'a' };
      yield { type: 'text_delta', text: 'b' };
    }
    expect(collectStream(gen(), ctx()).candidates[0].content).toEqual([
      { type: 'text', text: 'ab' },
    ]);
  });

  it('should aggregate a recorded Codex stream into the response a non-stream client gets', () => {
    const c = ctx();
    const raw = readFileSync(
      join(__dirname, '../../../../test/fixtures/codex/stream-reasoning-text-tool.sse'),
      'utf8',
    );
    const decoder = codecFor('codex').createStreamDecoder(c);
    const parser = new SSEParser();
    const sut = new StreamCollector(c, 'codex');
    for (const ev of [...parser.push(raw), ...parser.end()])
      for (const e of decoder.push(ev)) sut.push(e);
    for (const e of decoder.end()) sut.push(e);
    const ir = sut.result();
    expect(ir.id).toBe('resp_0199e7b25c1d7a409f3e2b8c6d4a1e07');
    expect(ir.candidates[0].stopReason).toBe('tool_calls');
    expect(ir.candidates[0].content).toEqual([
      {
        type: 'reasoning',
        text: '**Planning the count**\n\nI need to run find in src.\n\n**Running the command**\n\nCalling the shell tool now.',
        encrypted: expect.stringMatching(/^gAAAA/),
      },
      { type: 'text', text: "I'll count the files with find." },
      {
        type: 'tool_call',
        id: 'call_Pp4Oo6Ii8Uu0Yy2Tt4Rr6Ee8',
        name: 'shell',
        arguments:
          '{"command":["bash","-lc","find src -name \'*.ts\' | wc -l"],"workdir":"/home/dev/project"}',
      },
    ]);
    expect(ir.usage).toEqual({
      inputTokens: 4521,
      outputTokens: 187,
      reasoningTokens: 128,
      cachedTokens: 3968,
      totalTokens: 4708,
    });
    // And the Responses codec renders it as the non-stream body the client expects.
    const body = codecFor('openai-responses').buildResponse(ir, c);
    expect((body.output as { type: string }[]).map((o) => o.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
    ]);
  });
});
