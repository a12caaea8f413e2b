import { MetricsService } from '@app/metrics';
import type { RedisService } from '@app/storage';
import { MAX_LOG_BODY_CHARS, type ErrorLogInput } from '@app/logs/error-log.format';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { RequestDetailRecorder } from '@app/logs/request-detail.recorder';
import type { RequestDetail, RequestDetailRepository } from '@app/logs/request-detail.repository';

const AT = new Date('2025-03-04T05:06:07.089Z');

function input(id: string, over: Partial<ErrorLogInput> = {}): ErrorLogInput {
  return {
    requestId: id,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { authorization: 'Bearer sk-client-secret-abcdefgh1234' },
    requestBody: { model: 'm', messages: [{ role: 'user', content: `question ${id}` }] },
    responseStatus: 200,
    responseBody: '{"choices":[]}',
    timestamp: AT,
    ...over,
  };
}

describe(RequestDetailRecorder.name, () => {
  let redis: { isReady: boolean };
  let batches: RequestDetail[][];
  let failNext: Error | undefined;
  let metrics: LogsMetrics;
  let sut: RequestDetailRecorder;

  beforeEach(() => {
    redis = { isReady: true };
    batches = [];
    failNext = undefined;
    const repo = {
      addMany: (details: RequestDetail[]) => {
        if (failNext) {
          const err = failNext;
          failNext = undefined;
          return Promise.reject(err);
        }
        batches.push(details);
        return Promise.resolve(0);
      },
    } as unknown as RequestDetailRepository;
    metrics = new LogsMetrics(new MetricsService());
    sut = new RequestDetailRecorder(redis as unknown as RedisService, repo, metrics);
  });

  const dropped = async (reason: string) =>
    (await metrics.dropped.get()).values.find(
      (v) => v.labels.stream === 'bodies' && v.labels.reason === reason,
    )?.value ?? 0;

  it('should only queue on record, then write formatted, masked logs in batches', async () => {
    for (let i = 0; i < 20; i++) sut.record(input(`r${i}`));
    expect(batches).toHaveLength(0); // nothing happens on the request path
    await sut.settled();
    expect(batches.map((b) => b.length)).toEqual([16, 4]);
    const first = batches[0][0];
    expect(first.id).toBe('r0');
    expect(first.at).toBe(AT.getTime());
    expect(first.text).toContain('=== REQUEST INFO ===');
    expect(first.text).toContain('question r0');
    expect(first.text).not.toContain('sk-client-secret-abcdefgh1234');
    expect(batches.flat().map((d) => d.id)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  });

  it('should cap each body', async () => {
    sut.record(input('big', { responseBody: 'y'.repeat(MAX_LOG_BODY_CHARS * 2) }));
    await sut.settled();
    const text = batches[0][0].text;
    expect(text.length).toBeLessThan(MAX_LOG_BODY_CHARS + 4096);
    expect(text).toContain(`${MAX_LOG_BODY_CHARS} more characters cut`);
  });

  it('should drop and count logs while Redis is down', async () => {
    redis.isReady = false;
    sut.record(input('a'));
    sut.record(input('b'));
    await sut.settled();
    expect(batches).toEqual([]);
    expect(await dropped('redis-down')).toBe(2);
  });

  it('should count a refused batch and go on with the next', async () => {
    failNext = new Error('OOM command not allowed');
    for (let i = 0; i < 17; i++) sut.record(input(`r${i}`));
    await sut.settled();
    expect(await dropped('rejected')).toBe(16);
    expect(batches.map((b) => b.map((d) => d.id))).toEqual([['r16']]);
  });
});
