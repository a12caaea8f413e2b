// npm run bench:translate — translation throughput on one core, measured, not asserted.
//
// Requests: a 20-message conversation with tools, translated from every client format to every
// upstream format (parse → IR → build, object to object, as the proxy does after Fastify parsed
// the body). Streams: recorded upstream SSE fixtures replayed through the StreamTranslator the
// proxy streams with (framing, decoding, encoding), for every client format, in events per second.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SSEParser,
  StreamTranslator,
  createContext,
  translateRequest,
  type WireFormat,
} from '@app/llm';
import { packageRoot } from '@app/common';

const CLIENTS: WireFormat[] = ['openai', 'claude', 'gemini', 'openai-responses'];
const UPSTREAMS: WireFormat[] = [
  'openai',
  'claude',
  'gemini',
  'openai-responses',
  'codex',
  'gemini-cli',
  'antigravity',
];
const STREAM_CLIENTS: WireFormat[] = ['openai', 'claude', 'gemini', 'openai-responses'];
const MIN_MS = Number(process.env.BENCH_MS ?? 400);

/** A 20-message OpenAI conversation with tools, tool calls and results. */
function conversation(): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [
    { role: 'system', content: 'You are a careful assistant. Use tools when they help.' },
  ];
  for (let i = 0; messages.length < 20; i++) {
    messages.push({
      role: 'user',
      content: `Question ${i}: what is the weather in city number ${i}, and why?`,
    });
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: `call_${i}`,
          type: 'function',
          function: {
            name: 'get_weather',
            arguments: JSON.stringify({ city: `city-${i}`, unit: 'celsius' }),
          },
        },
      ],
    });
    messages.push({
      role: 'tool',
      tool_call_id: `call_${i}`,
      content: `{"temp": ${10 + i}, "sky": "clear"}`,
    });
    messages.push({
      role: 'assistant',
      content: `It is ${10 + i} degrees and clear in city-${i}.`,
    });
  }
  return {
    model: 'bench-model',
    messages: messages.slice(0, 20),
    temperature: 0.2,
    max_tokens: 1024,
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string', description: 'City name' },
              unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
            },
            required: ['city'],
          },
        },
      },
      {
        type: 'function',
        function: {
          name: 'search_docs',
          description: 'Search the documentation',
          parameters: {
            type: 'object',
            properties: { query: { type: 'string' } },
            required: ['query'],
          },
        },
      },
    ],
  };
}

/** Run `fn` repeatedly for at least MIN_MS; returns operations per second. */
function rate(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n / elapsed) * 1000;
}

function ctxFor(model = 'bench-model') {
  return createContext({ upstreamModel: model, requestedModel: model, project: 'bench-project' });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function main(): void {
  const root = packageRoot();
  const base = conversation();
  // The same conversation in each client format (translated once, outside the timing).
  const bodies = new Map<WireFormat, Record<string, unknown>>();
  for (const c of CLIENTS) {
    bodies.set(c, c === 'openai' ? base : translateRequest('openai', c, base, ctxFor()));
  }

  console.log(
    `Translation benchmark (node ${process.version}, single thread, ≥${MIN_MS} ms per cell)\n`,
  );
  console.log('Requests per second, 20-message conversation with tools (client → upstream):');
  console.log(pad('client \\ upstream', 18) + UPSTREAMS.map((u) => pad(u, 18)).join(''));
  let worst = Infinity;
  for (const c of CLIENTS) {
    const body = bodies.get(c)!;
    const cells = UPSTREAMS.map((u) => {
      const r = rate(() => {
        translateRequest(c, u, body, ctxFor());
      });
      worst = Math.min(worst, r);
      return pad(Math.round(r).toLocaleString('en-US'), 18);
    });
    console.log(pad(c, 18) + cells.join(''));
  }
  console.log(
    `\nslowest direction: ${Math.round(worst).toLocaleString('en-US')} requests/s (target ≥ 20,000)\n`,
  );

  // Streams: every recorded upstream stream fixture, replayed for each client format.
  const fixtures: { upstream: WireFormat; file: string; text: string; events: number }[] = [];
  for (const upstream of [
    'openai',
    'claude',
    'gemini',
    'openai-responses',
    'codex',
    'gemini-cli',
    'antigravity',
  ] as WireFormat[]) {
    const dir = join(root, 'test', 'fixtures', upstream);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.sse') && !f.includes('error'));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      const parser = new SSEParser();
      const events = parser.push(text).length + parser.end().length;
      if (events > 0) fixtures.push({ upstream, file, text, events });
    }
  }
  console.log('Stream events per second (upstream fixture → client format):');
  console.log(pad('upstream fixture', 48) + STREAM_CLIENTS.map((c) => pad(c, 18)).join(''));
  let worstEvents = Infinity;
  for (const f of fixtures) {
    const cells = STREAM_CLIENTS.map((client) => {
      let ok = true;
      const r = rate(() => {
        try {
          const t = new StreamTranslator(f.upstream, client, ctxFor());
          t.push(f.text);
          t.flush();
          t.end();
        } catch {
          ok = false;
        }
      });
      const eventsPerSec = r * f.events;
      if (ok) worstEvents = Math.min(worstEvents, eventsPerSec);
      return pad(ok ? Math.round(eventsPerSec).toLocaleString('en-US') : 'error', 18);
    });
    console.log(pad(`${f.upstream}/${f.file} (${f.events} ev)`, 48) + cells.join(''));
  }
  console.log(
    `\nslowest stream translation: ${Math.round(worstEvents).toLocaleString('en-US')} events/s`,
  );
}

main();
