// Reference point for `npm run bench`: the thinnest possible Fastify + undici pass-through
// (no auth, no translation, no routing, no metrics), on the same machine as the gateway. A
// `"stream": true` body is relayed as it arrives, the same bytes the upstream sent.
//   node dist/test/bench/bare-passthrough.js <upstream origin> <port>
import Fastify from 'fastify';
import { Agent } from 'undici';

const [upstream, port] = process.argv.slice(2);
const agent = new Agent({ connections: 256 });
const app = Fastify();

app.post('/v1/chat/completions', async (req, reply) => {
  const res = await agent.request({
    origin: upstream,
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
    body: JSON.stringify(req.body),
  });
  const contentType = String(res.headers['content-type'] ?? 'application/json');
  if ((req.body as { stream?: boolean } | undefined)?.stream === true) {
    // Fastify pipes a Readable to the socket chunk by chunk.
    return reply.status(res.statusCode).header('content-type', contentType).send(res.body);
  }
  const text = await res.body.text();
  return reply.status(res.statusCode).header('content-type', contentType).send(text);
});

app.listen({ port: Number(port), host: '127.0.0.1' }).then(
  () => process.stdout.write('ready\n'),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
