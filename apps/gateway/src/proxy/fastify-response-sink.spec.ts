import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { FastifyResponseSink } from '@app/gateway/proxy/fastify-response-sink';

describe(FastifyResponseSink.name, () => {
  let app: FastifyInstance;
  let sinks: FastifyResponseSink[];
  let writes: number[];

  beforeEach(async () => {
    sinks = [];
    writes = [];
    app = Fastify();
    app.get('/now', (_req, reply) => {
      const sink = new FastifyResponseSink(reply);
      const socket = reply.raw.socket!;
      const spy = (n: number) => writes.push(n);
      for (const m of ['write', '_writev', '_write'] as const) {
        const original = (socket as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
        (socket as unknown as Record<string, unknown>)[m] = function (
          this: unknown,
          ...a: unknown[]
        ) {
          if (m !== 'write') spy(1);
          return original.apply(this, a);
        };
      }
      sink.openStream('text/event-stream');
      sink.write('data: one\n\n');
      sink.end();
    });
    app.get('/later', (_req, reply) => {
      // Opened before the upstream's first byte, which never comes here.
      const sink = new FastifyResponseSink(reply);
      sinks.push(sink);
      sink.openStream('text/event-stream');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const s of sinks) s.end();
    await app.close();
  });

  const port = () => (app.server.address() as AddressInfo).port;

  it('should send the headers with the first chunk when it follows at once', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      request({ port: port(), path: '/now' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('data: one\n\n');
    // Headers, chunk and terminator written in one turn: one socket write (two when the
    // headers were flushed on their own).
    expect(writes).toHaveLength(1);
  });

  it('should send the headers at once when no chunk follows yet', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ port: port(), path: '/later' }, (res) => {
        resolve(res.statusCode);
        req.destroy();
      });
      req.on('error', reject).end();
    });
    expect(status).toBe(200);
  });
});
