import { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { installAccessLog } from '@app/gateway/http/access-log';

describe(installAccessLog.name, () => {
  let sut: FastifyInstance;
  let lines: { level: string; text: string }[];

  beforeEach(() => {
    lines = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        const fields = args[0] as { msg: string; route: string; status: number };
        lines.push({ level, text: fields.msg });
        expect(fields).toMatchObject({ request_id: 'req-7', ip: '203.0.113.9' });
        expect(typeof fields.route).toBe('string');
      });
    }
    sut = Fastify({ genReqId: () => 'req-7' });
    installAccessLog(sut, () => '203.0.113.9');
    sut.get('/v1/models', async () => ({ data: [] }));
    sut.get('/v0/management/config', async (_req, reply) => reply.code(401).send({ error: 'x' }));
    sut.post('/v1/chat/completions', (_req, reply) => {
      reply.hijack();
      reply.raw.writeHead(502, { 'content-type': 'text/event-stream' });
      reply.raw.end('data: {}\n\n');
    });
    sut.get('/status', async () => ({ ok: true }));
  });

  afterEach(async () => {
    await sut.close();
    jest.restoreAllMocks();
  });

  it('should log one line per answer, at the level its status calls for', async () => {
    await sut.inject({ url: '/v1/models?key=AIza-secret' });
    await sut.inject({ url: '/v0/management/config' });
    await sut.inject({ method: 'POST', url: '/v1/chat/completions' });
    await sut.inject({ url: '/status' });
    expect(lines.map((l) => [l.level, l.text.replace(/ +\d+ms /, ' Nms ')])).toEqual([
      ['log', '200 | Nms |     203.0.113.9 | GET     "/v1/models?key=***" | request_id=req-7'],
      ['warn', '401 | Nms |     203.0.113.9 | GET     "/v0/management/config" | request_id=req-7'],
      ['error', '502 | Nms |     203.0.113.9 | POST    "/v1/chat/completions" | request_id=req-7'],
    ]);
  });

  it('should not build the lines of levels LOG_LEVEL leaves out', async () => {
    const quiet = Fastify({ genReqId: () => 'req-7' });
    const addressOf = jest.fn(() => '203.0.113.9');
    installAccessLog(quiet, addressOf, ['error', 'warn']);
    quiet.get('/ok', async () => ({}));
    quiet.get('/no', async (_req, reply) => reply.code(404).send({}));
    await quiet.inject({ url: '/ok' });
    expect(addressOf).not.toHaveBeenCalled();
    await quiet.inject({ url: '/no' });
    await quiet.close();
    expect(lines.map((l) => l.level)).toEqual(['warn']);
  });
});
