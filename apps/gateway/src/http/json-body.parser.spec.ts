import Fastify, { type FastifyInstance } from 'fastify';
import {
  installJsonBodyParser,
  JSON_TOO_DEEP,
  MAX_JSON_DEPTH,
  nestsDeeperThan,
} from '@app/gateway/http/json-body.parser';

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe(nestsDeeperThan.name, () => {
  it('should count objects and arrays as levels, and nothing else', () => {
    expect(nestsDeeperThan('x'.repeat(1000), 1)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [1, 'x', null] }, 2)).toBe(false);
    expect(nestsDeeperThan(JSON.parse(arrays(3)), 3)).toBe(false);
    expect(nestsDeeperThan(JSON.parse(arrays(4)), 3)).toBe(true);
  });

  it('should find a deep branch behind shallow siblings', () => {
    const wide = { a: 1, b: [{ c: 2 }], d: JSON.parse(objects(10)) };
    expect(nestsDeeperThan(wide, 10)).toBe(true);
    expect(nestsDeeperThan(wide, 11)).toBe(false);
  });

  it('should decide on 10,000 levels without overflowing the stack', () => {
    expect(nestsDeeperThan(JSON.parse(arrays(10_000)), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(objects(10_000)), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe(installJsonBodyParser.name, () => {
  let sut: FastifyInstance;

  beforeAll(async () => {
    sut = Fastify();
    installJsonBodyParser(sut, 8);
    sut.post('/echo', async (req) => ({ got: req.body }));
    sut.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
      void reply.status(err.statusCode ?? 500).send({ code: err.code, message: err.message });
    });
    await sut.ready();
  });

  afterAll(async () => {
    await sut.close();
  });

  const post = (payload: string) =>
    sut.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload,
    });

  it('should parse bodies within the limit as before', async () => {
    const res = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user' }] }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ got: { model: 'm', messages: [{ role: 'user' }] } });
    expect((await post(arrays(8))).statusCode).toBe(200);
  });

  it('should refuse a body nested deeper than the limit with a 400', async () => {
    const res = await post(`{"model":"m","tools":${objects(9)}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: JSON_TOO_DEEP,
      message: 'Request body nests JSON deeper than 8 levels',
    });
    expect((await post(arrays(10_000))).statusCode).toBe(400);
  });

  it("should keep Fastify's refusals of bad JSON and prototype poisoning", async () => {
    expect((await post('{"a":')).json().code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect((await post('')).json().code).toBe('FST_ERR_CTP_EMPTY_JSON_BODY');
    const poisoned = await post('{"__proto__":{"polluted":true}}');
    expect(poisoned.statusCode).toBe(400);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect((await post('{"constructor":{"prototype":{"x":1}}}')).statusCode).toBe(400);
  });
});
