import type { JobRepository } from '@app/jobs';
import type { MetricsService } from '@app/metrics';
import type { RedisService } from '@app/storage';
import { HealthServer } from '@app/worker/health/health.server';
import type { WorkerService } from '@app/worker/worker.service';

describe(HealthServer.name, () => {
  let sut: HealthServer;
  let url: string;
  let redisUp: boolean;
  let canWork: boolean;

  beforeEach(async () => {
    redisUp = true;
    canWork = true;
    sut = new HealthServer({
      redis: { ping: () => Promise.resolve(redisUp), isReady: true } as unknown as RedisService,
      jobs: {} as JobRepository,
      worker: {} as WorkerService,
      metrics: {} as MetricsService,
      processName: 'worker-test',
      ready: () => canWork,
    });
    url = `http://127.0.0.1:${await sut.listen(0, '127.0.0.1')}`;
  });

  afterEach(async () => {
    await sut.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: await res.text() };
  };

  it('should answer /healthz with 200 whatever the state', async () => {
    redisUp = false;
    canWork = false;
    expect(await get('/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('should answer /readyz with 200 only while Redis answers and the worker can work', async () => {
    expect(await get('/readyz')).toEqual({ status: 200, body: '{"status":"ready"}' });
    canWork = false; // draining, or the config store not applied yet
    expect(await get('/readyz')).toEqual({ status: 503, body: '{"status":"unavailable"}' });
    canWork = true;
    redisUp = false;
    expect((await get('/readyz')).status).toBe(503);
  });
});
