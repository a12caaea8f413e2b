import type { AppConfig, ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { RedisService } from '@app/storage';
import { CredentialService } from '@app/routing/credential.service';
import type { Credential } from '@app/routing/credential.types';
import { countCredentialStates, RoutingMetrics } from '@app/routing/routing.metrics';

/** A Redis that is down: state lives in memory only, pub/sub goes nowhere. */
const downRedis = {
  isReady: false,
  key: (...parts: string[]) => parts.join(':'),
  publish: async () => false,
  subscribe: () => () => undefined,
} as unknown as RedisService;

const entry = (key: string) => ({
  'api-key': key,
  priority: 0,
  headers: {},
  models: [],
  'excluded-models': [],
});

function fakeConfig(): ConfigService {
  const current = {
    'claude-api-key': [entry('sk-ant-a'), entry('sk-ant-b'), entry('sk-ant-c')],
    'gemini-api-key': [entry('AIza-a')],
    'oauth-model-alias': {},
    'oauth-excluded-models': {},
    'force-model-prefix': false,
    'disable-cooling': false,
    routing: { strategy: 'round-robin' },
  } as unknown as AppConfig;
  return { current, onChange: () => () => undefined } as unknown as ConfigService;
}

describe(RoutingMetrics.name, () => {
  let routing: CredentialService;
  let metrics: MetricsService;
  let sut: RoutingMetrics;

  const claude = () => routing.snapshot().credentials.filter((x) => x.provider === 'claude');
  const credentials = async () => {
    const values = (await sut.credentials.get()).values;
    const out: Record<string, number> = {};
    for (const v of values) out[`${v.labels.provider}/${v.labels.state}`] = v.value;
    return out;
  };

  beforeEach(async () => {
    routing = new CredentialService(fakeConfig(), downRedis);
    await routing.onModuleInit();
    metrics = new MetricsService();
    sut = new RoutingMetrics(metrics, routing);
  });

  afterEach(() => {
    sut.onApplicationShutdown();
    routing.onApplicationShutdown();
  });

  it('should count credentials by provider and state, the most severe state winning', async () => {
    const [a, b, c] = claude();
    await routing.reportFailure({ authIndex: a.authIndex, model: 'claude-x', status: 429 });
    await routing.state.setQuotaExceeded(b.authIndex, '*', Date.now() + 60_000);
    await routing.reportFailure({ authIndex: b.authIndex, model: 'claude-x', status: 500 });
    await routing.state.markError(c.authIndex, { message: 'refresh token revoked' });

    expect(await credentials()).toEqual({
      'claude/active': 0,
      'claude/cooling_down': 1,
      'claude/quota_exceeded': 1,
      'claude/error': 1,
      'claude/disabled': 0,
      'gemini/active': 1,
      'gemini/cooling_down': 0,
      'gemini/quota_exceeded': 0,
      'gemini/error': 0,
      'gemini/disabled': 0,
    });
  });

  it('should count active again once a success clears the cooldown', async () => {
    const a = claude()[0];
    await routing.reportFailure({ authIndex: a.authIndex, model: 'claude-x', status: 503 });
    expect((await credentials())['claude/cooling_down']).toBe(1);
    await routing.reportSuccess(a.authIndex, 'claude-x');
    expect((await credentials())['claude/cooling_down']).toBe(0);
    expect((await credentials())['claude/active']).toBe(3);
  });

  it('should count cooldowns entered by provider and reason, and not failures without one', async () => {
    const a = claude()[0];
    const g = routing.snapshot().credentials.find((x) => x.provider === 'gemini')!;
    await routing.reportFailure({ authIndex: a.authIndex, model: 'claude-x', status: 429 });
    await routing.reportFailure({ authIndex: a.authIndex, model: 'claude-x', status: 429 });
    await routing.reportFailure({ authIndex: g.authIndex, model: 'gemini-x', status: 401 });
    await routing.reportFailure({ authIndex: g.authIndex, model: 'gemini-x', status: 400 });
    const values = (await sut.cooldowns.get()).values.map((v) => [
      `${v.labels.provider}/${v.labels.reason}`,
      v.value,
    ]);
    expect(Object.fromEntries(values)).toEqual({ 'claude/rate_limit': 2, 'gemini/auth': 1 });
  });

  it('should stop counting after shutdown', async () => {
    sut.onApplicationShutdown();
    const a = claude()[0];
    await routing.reportFailure({ authIndex: a.authIndex, model: 'claude-x', status: 429 });
    expect((await sut.cooldowns.get()).values).toEqual([]);
  });
});

describe(countCredentialStates.name, () => {
  const cred = (authIndex: string, disabled = false) =>
    ({ provider: 'codex', authIndex, disabled }) as unknown as Credential;
  const state = (over: Record<string, unknown>) => ({
    cooldownUntil: 0,
    level: 0,
    quotaExceededUntil: 0,
    updatedAt: 0,
    ...over,
  });

  it('should put a disabled credential under disabled whatever its state', () => {
    const sut = countCredentialStates(
      [cred('a', true), cred('b')],
      [{ authIndex: 'a', state: state({ error: { message: 'x', at: 1 } }) }],
      1000,
    );
    expect(sut.get('codex')).toEqual({
      active: 1,
      cooling_down: 0,
      quota_exceeded: 0,
      error: 0,
      disabled: 1,
    });
  });

  it('should treat cooldowns and quota that have run out as active', () => {
    const sut = countCredentialStates(
      [cred('a'), cred('b')],
      [
        { authIndex: 'a', state: state({ cooldownUntil: 999 }) },
        { authIndex: 'b', state: state({ quotaExceededUntil: 1000 }) },
      ],
      1000,
    );
    expect(sut.get('codex')?.active).toBe(2);
  });
});
