import fc from 'fast-check';
import { createContext } from '@app/llm/codec';
import type { WireFormat } from '@app/llm/ir/types';
import { translateRequest } from '@app/llm/translate';

// Property: a random chat conversation with tools survives OpenAI → X → OpenAI with its roles,
// texts, tool names, arguments and call/result pairing intact.

type Json = Record<string, string | number | boolean>;

interface Call {
  name: string;
  args: Json;
}

/** One generated exchange: a user turn, optional tool round, optional assistant text. */
interface Turn {
  user: string;
  calls: Call[];
  results: string[];
  answer?: string;
}

const wordy = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => s.trim().length > 0 && s.trim() === s);
const toolName = fc.constantFrom('get_weather', 'search_docs', 'run_sql', 'send_email');
const args = fc.dictionary(
  fc.constantFrom('city', 'query', 'limit', 'verbose', 'to'),
  fc.oneof(wordy, fc.integer({ min: -1000, max: 1000 }), fc.boolean()),
);
const turn: fc.Arbitrary<Turn> = fc
  .record({
    user: wordy,
    calls: fc.array(fc.record({ name: toolName, args }), { maxLength: 3 }),
    answer: fc.option(wordy, { nil: undefined }),
    resultSeed: wordy,
  })
  .map(({ user, calls, answer, resultSeed }) => ({
    user,
    calls,
    results: calls.map((_, i) => `${resultSeed} #${i}`),
    // A turn without calls needs an assistant answer to keep roles alternating.
    answer: calls.length === 0 ? (answer ?? 'ok') : answer,
  }));
const conversation: fc.Arbitrary<Conversation> = fc.record({
  system: fc.option(wordy, { nil: undefined }),
  turns: fc.array(turn, { minLength: 1, maxLength: 5 }),
  last: wordy,
});

interface Conversation {
  system: string | undefined;
  turns: Turn[];
  last: string;
}

let callSeq = 0;

/** Render a generated conversation as an OpenAI chat request. */
function toOpenAI(c: Conversation): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  if (c.system !== undefined) messages.push({ role: 'system', content: c.system });
  for (const t of c.turns) {
    messages.push({ role: 'user', content: t.user });
    if (t.calls.length > 0) {
      const ids = t.calls.map(() => `call_${(callSeq++).toString(36).padStart(6, '0')}`);
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: t.calls.map((call, i) => ({
          id: ids[i],
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.args) },
        })),
      });
      t.results.forEach((r, i) =>
        messages.push({ role: 'tool', tool_call_id: ids[i], content: r }),
      );
    }
    if (t.answer !== undefined) messages.push({ role: 'assistant', content: t.answer });
  }
  messages.push({ role: 'user', content: c.last });
  return {
    model: 'gpt-4.1',
    messages,
    tools: ['get_weather', 'search_docs', 'run_sql', 'send_email'].map((name) => ({
      type: 'function',
      function: { name, parameters: { type: 'object', properties: {} } },
    })),
  };
}

type View =
  | { role: 'system' | 'user' | 'assistant'; text: string }
  | { role: 'call'; name: string; args: unknown }
  | { role: 'result'; of: number; text: string };

interface WireCall {
  id: string;
  function: { name: string; arguments: string };
}

/** What must survive: roles, texts, calls and which call each result answers (by ordinal). */
function view(body: Record<string, unknown>): View[] {
  const out: View[] = [];
  const ordinal = new Map<string, number>();
  const textOf = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((p: { text?: string }) => p.text ?? '').join('')
        : '';
  for (const m of body.messages as Record<string, unknown>[]) {
    const role = m.role as string;
    if (role === 'tool') {
      out.push({
        role: 'result',
        of: ordinal.get(m.tool_call_id as string) ?? -1,
        text: textOf(m.content),
      });
      continue;
    }
    const text = textOf(m.content);
    if (text !== '') out.push({ role: role as 'system' | 'user' | 'assistant', text });
    const calls = (m.tool_calls ?? []) as WireCall[];
    for (const call of calls) {
      ordinal.set(call.id, ordinal.size);
      out.push({
        role: 'call',
        name: call.function.name,
        args: JSON.parse(call.function.arguments),
      });
    }
  }
  return out;
}

function roundTrip(body: Record<string, unknown>, via: WireFormat): Record<string, unknown> {
  const there = translateRequest('openai', via, body, createContext({ upstreamModel: 'target' }));
  return translateRequest(via, 'openai', there, createContext({ upstreamModel: 'gpt-4.1' }));
}

describe('OpenAI chat round trips', () => {
  it.each<WireFormat>(['claude', 'gemini', 'openai-responses'])(
    'should keep roles, texts, tools and pairing through %s',
    (via) => {
      fc.assert(
        fc.property(conversation, (c) => {
          const body = toOpenAI(c);
          expect(view(roundTrip(body, via))).toEqual(view(body));
        }),
        { numRuns: 150 },
      );
    },
  );
});
