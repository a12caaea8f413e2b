// The upstream for `npm run bench`: an OpenAI chat-completions server that answers every POST with
// the same precomputed bytes (a completion, or a 20-chunk stream when the body asks for one), so
// the machine's CPU goes to the gateway under test rather than to the fake.
//   node dist/test/bench/canned-upstream.js <port> [chunks]
import http from 'node:http';

const [portArg, chunksArg] = process.argv.slice(2);
const CHUNKS = Number(chunksArg ?? '20');
const CREATED = 1_790_000_000;
const USAGE = { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS };

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: 'bench-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello, benchmark! '.repeat(4).trim() },
        finish_reason: 'stop',
      },
    ],
    usage: USAGE,
  }),
);

function chunk(delta: Record<string, unknown>, finish: string | null, usage?: object): string {
  const body = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'bench-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

let sse = chunk({ role: 'assistant', content: '' }, null);
for (let i = 1; i < CHUNKS - 1; i++) sse += chunk({ content: `word${i} ` }, null);
sse += chunk({}, 'stop', USAGE);
sse += 'data: [DONE]\n\n';
const stream = Buffer.from(sse);

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': completion.length };
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'content-length': stream.length,
};

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(404).end();
    return;
  }
  let streamed = false;
  req.on('data', (d: Buffer) => {
    // JSON.stringify writes no spaces: this is the gateway's (and the bench's) spelling.
    if (!streamed && d.includes('"stream":true')) streamed = true;
  });
  req.on('end', () => {
    if (streamed) res.writeHead(200, SSE_HEADERS).end(stream);
    else res.writeHead(200, JSON_HEADERS).end(completion);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
