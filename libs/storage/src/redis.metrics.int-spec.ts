import { MetricsService } from '@app/metrics';
import { RedisMetrics, RedisService } from '@app/storage';
import { testRedisSettings, uniquePrefix } from '@test/utils/env';

async function valueOf(metrics: MetricsService, name: string, labels: Record<string, string> = {}) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return hit?.value ?? 0;
}

describe(RedisMetrics.name, () => {
  const prefix = uniquePrefix('redis-metrics');
  let redis: RedisService;
  let metrics: MetricsService;
  let sut: RedisMetrics;

  beforeEach(async () => {
    redis = new RedisService(
      testRedisSettings(prefix, { commandTimeoutMs: 500, connectTimeoutMs: 500 }),
      'redis-metrics',
    );
    metrics = new MetricsService();
    sut = new RedisMetrics(metrics, redis);
    redis.connect();
    expect(await redis.waitReady(5000)).toBe(true);
  });

  afterEach(async () => {
    sut.onApplicationShutdown();
    await redis.close();
  });

  it('should count commands, including auto-pipelined ones, and sample their latency', async () => {
    const before = await valueOf(metrics, 'switchboard_redis_commands_total');
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => redis.command.incr(redis.key('n', i % 4))),
    );
    expect((await valueOf(metrics, 'switchboard_redis_commands_total')) - before).toBe(64);
    const samples = await valueOf(metrics, 'switchboard_redis_command_duration_seconds', {
      command: 'incr',
    });
    // The histogram's first value is a bucket; read the count instead.
    const hist = await sut.duration.get();
    const count = hist.values.find(
      (v) => v.metricName === 'switchboard_redis_command_duration_seconds_count',
    );
    expect(samples).toBeGreaterThanOrEqual(0);
    expect(count?.value).toBe(4);
    expect(count?.labels.command).toBe('incr');
  });

  it('should count error replies and commands refused while the connection is down', async () => {
    await redis.command.set(redis.key('s'), 'text');
    await expect(redis.command.incr(redis.key('s'))).rejects.toThrow(/not an integer/);
    expect(
      await valueOf(metrics, 'switchboard_redis_command_errors_total', { kind: 'reply' }),
    ).toBe(1);

    redis.command.disconnect();
    await expect(redis.command.get(redis.key('s'))).rejects.toThrow();
    expect(
      await valueOf(metrics, 'switchboard_redis_command_errors_total', { kind: 'unavailable' }),
    ).toBe(1);
  });
});
