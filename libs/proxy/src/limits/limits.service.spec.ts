import { keyId } from '@app/common';
import { configSchema, type AppConfig, type ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { LimitsMetrics } from '@app/proxy/limits/limits.metrics';
import type { LimitKeys, LimitsRepository } from '@app/proxy/limits/limits.repository';
import { LimitsService } from '@app/proxy/limits/limits.service';
import { ZERO_TOKENS, type UsageRecord } from '@app/usage';

const KEY = 'sk-limited-client-0001';
const FREE = 'sk-free-client-0002';
const ID = keyId(KEY);

type Listener = (next: Readonly<AppConfig>, prev: Readonly<AppConfig>) => void;

function fakeConfig(raw: Record<string, unknown>): {
  config: ConfigService;
  change: (raw: Record<string, unknown>) => void;
} {
  let current = configSchema.parse(raw);
  const listeners: Listener[] = [];
  const config = {
    get current() {
      return current;
    },
    onChange: (l: Listener) => {
      listeners.push(l);
      return () => undefined;
    },
  } as unknown as ConfigService;
  return {
    config,
    change: (next) => {
      const prev = current;
      current = configSchema.parse(next);
      for (const l of listeners) l(current, prev);
    },
  };
}

function fakeRepo(): jest.Mocked<
  Pick<LimitsRepository, 'admit' | 'release' | 'renew' | 'addTokens'>
> & {
  ready: boolean;
  commandTimeoutMs: number;
  keysFor: (id: string) => LimitKeys;
} {
  return {
    ready: true,
    commandTimeoutMs: 1000,
    keysFor: (id: string) => ({
      leases: `l:${id}`,
      requests: `r:${id}`,
      minuteTokens: `m:${id}`,
      dayTokens: `d:${id}`,
    }),
    admit: jest.fn().mockResolvedValue([0, 0]),
    release: jest.fn().mockResolvedValue(undefined),
    renew: jest.fn().mockResolvedValue(undefined),
    addTokens: jest.fn().mockResolvedValue({ failed: [] }),
  };
}

async function counter(metrics: MetricsService, name: string, kind?: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  const v = m.values.find((x) => kind === undefined || x.labels.kind === kind);
  return v?.value ?? 0;
}

function usage(clientKeyId: string, total: number): UsageRecord {
  return {
    requestId: 'r',
    timestamp: '',
    api: '',
    clientKeyId,
    model: 'm',
    upstreamModel: 'm',
    provider: 'p',
    source: '',
    authIndex: '',
    credentialId: '',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: 200,
    failed: false,
    latencyMs: 1,
    attempts: 1,
    tokens: { ...ZERO_TOKENS, total_tokens: total },
  };
}

describe(LimitsService.name, () => {
  let metrics: MetricsService;
  let repo: ReturnType<typeof fakeRepo>;
  let sut: LimitsService;

  const make = (raw: Record<string, unknown>) => {
    const cfg = fakeConfig(raw);
    sut = new LimitsService(
      cfg.config,
      repo as unknown as LimitsRepository,
      new LimitsMetrics(metrics),
    );
    return cfg;
  };

  beforeEach(() => {
    metrics = new MetricsService();
    repo = fakeRepo();
  });

  afterEach(async () => {
    await sut.onApplicationShutdown();
  });

  it('should be disabled, and admit without Redis, when nothing is limited', async () => {
    make({ 'api-keys': [KEY] });
    expect(sut.enabled).toBe(false);
    expect(await sut.admit(ID, 'gpt')).toEqual({});
    expect(repo.admit).not.toHaveBeenCalled();
  });

  it('should follow config reloads', () => {
    const cfg = make({ 'api-keys': [KEY] });
    cfg.change({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 5 } } });
    expect(sut.enabled).toBe(true);
  });

  it('should refuse a model outside the list with a 403 and no Redis call', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 5, models: ['gemini-*'] } } });
    const r = await sut.admit(ID, 'gpt-4o');
    expect(r.refused?.status).toBe(403);
    expect(repo.admit).not.toHaveBeenCalled();
    expect(await counter(metrics, 'switchboard_limits_rejected_total', 'model')).toBe(1);
  });

  it('should pass the limits to the script and admit without a lease when concurrency is free', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 5 } } });
    const r = await sut.admit(ID, 'gpt');
    expect(r).toEqual({});
    const [keys, args] = repo.admit.mock.calls[0];
    expect(keys.requests).toBe(`r:${ID}`);
    expect(args.slice(0, 4)).toEqual([0, 5, 0, 0]);
    expect(String(args[9])).toMatch(/^[0-9a-f]{12}:/);
  });

  it('should hand out a lease under a concurrency limit and give it back once', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { concurrency: 2 } } });
    const r = await sut.admit(ID, 'gpt');
    expect(r.lease).toEqual({ key: `l:${ID}`, id: expect.any(String) });
    expect(sut.leasesHeld).toBe(1);
    sut.release(r.lease!);
    sut.release(r.lease!);
    expect(repo.release).toHaveBeenCalledTimes(1);
    expect(sut.leasesHeld).toBe(0);
  });

  it('should use a fresh id per request', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 5 } } });
    await sut.admit(ID, 'a');
    await sut.admit(ID, 'a');
    expect(repo.admit.mock.calls[0][1][9]).not.toBe(repo.admit.mock.calls[1][1][9]);
  });

  it('should refuse with a 429 naming the limit when the script says so', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 5 } } });
    repo.admit.mockResolvedValueOnce([2, 4200]);
    const r = await sut.admit(ID, 'gpt');
    expect(r.refused?.status).toBe(429);
    expect(r.refused?.headers['retry-after']).toBe('5');
    expect(r.lease).toBeUndefined();
    expect(await counter(metrics, 'switchboard_limits_rejected_total', 'rpm')).toBe(1);
  });

  it('should leave keys without limits alone', async () => {
    make({ 'api-keys': [KEY, FREE], limits: { [KEY]: { rpm: 5 } } });
    expect(await sut.admit(keyId(FREE), 'gpt')).toEqual({});
    expect(repo.admit).not.toHaveBeenCalled();
  });

  it('should fail open when Redis errs, then skip it for a second', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 1 } } });
    repo.admit.mockRejectedValueOnce(new Error('Command timed out'));
    expect(await sut.admit(ID, 'gpt')).toEqual({});
    expect(await sut.admit(ID, 'gpt')).toEqual({});
    expect(repo.admit).toHaveBeenCalledTimes(1);
    expect(await counter(metrics, 'switchboard_limits_fail_open_total')).toBe(2);
  });

  it('should stop waiting for a stalled Redis after 250 ms and fail open', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 1 } } });
    repo.admit.mockReturnValueOnce(new Promise(() => undefined));
    const t0 = Date.now();
    expect(await sut.admit(ID, 'gpt')).toEqual({});
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(Date.now() - t0).toBeLessThan(600);
    expect(await counter(metrics, 'switchboard_limits_fail_open_total')).toBe(1);
  });

  it('should fail open at once while Redis is disconnected', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { concurrency: 1 } } });
    repo.ready = false;
    expect(await sut.admit(ID, 'gpt')).toEqual({});
    expect(repo.admit).not.toHaveBeenCalled();
    expect(await counter(metrics, 'switchboard_limits_fail_open_total')).toBe(1);
  });

  it('should sum finished tokens per key and write them in one call', async () => {
    make({ 'api-keys': [KEY, FREE], limits: { [KEY]: { tpm: 100 } } });
    sut.record(usage(ID, 30));
    sut.record(usage(ID, 12));
    sut.record(usage(keyId(FREE), 50));
    sut.record(usage(ID, 0));
    await sut.flushTokens();
    expect(repo.addTokens).toHaveBeenCalledTimes(1);
    expect(repo.addTokens.mock.calls[0][0]).toEqual([
      { id: ID, keys: expect.objectContaining({ minuteTokens: `m:${ID}` }), tokens: 42 },
    ]);
  });

  it('should retry only the keys whose write failed (the others are not counted twice)', async () => {
    const OTHER = 'sk-limited-other-key-000000000002';
    make({ 'api-keys': [KEY, OTHER], limits: { '*': { tpm: 100 } } });
    repo.addTokens.mockImplementationOnce((entries) =>
      Promise.resolve({
        failed: entries.filter((e) => (e as { id?: string }).id === ID),
        error: new Error('CLUSTERDOWN'),
      }),
    );
    sut.record(usage(ID, 10));
    sut.record(usage(keyId(OTHER), 7));
    await sut.flushTokens();
    await sut.flushTokens();
    expect(repo.addTokens).toHaveBeenCalledTimes(2);
    expect(repo.addTokens.mock.calls[1][0]).toEqual([
      expect.objectContaining({ id: ID, tokens: 10 }),
    ]);
  });

  it('should keep tokens that could not be written and add them on the next flush', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { tpd: 100 } } });
    repo.addTokens.mockRejectedValueOnce(new Error('down'));
    sut.record(usage(ID, 10));
    await sut.flushTokens();
    sut.record(usage(ID, 5));
    await sut.flushTokens();
    expect(repo.addTokens).toHaveBeenCalledTimes(2);
    expect(repo.addTokens.mock.calls[1][0][0].tokens).toBe(15);
  });

  it('should not count tokens for keys without token limits', async () => {
    make({ 'api-keys': [KEY], limits: { [KEY]: { rpm: 100 } } });
    sut.record(usage(ID, 10));
    await sut.flushTokens();
    expect(repo.addTokens).not.toHaveBeenCalled();
  });
});
