import { RedisService } from '@app/storage';
import {
  Credential,
  CredentialStateRepository,
  RoundRobinCursorRepository,
  Selector,
  STATE_CHANNEL,
  cooldownFor,
  type RouteCandidate,
  type SelectionResult,
} from '@app/routing';
import { freePort, testRedisSettings, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

// The run's Redis (plain or cluster); a URL of its own is a plain one.
function settings(url: string, prefix: string) {
  const timeouts = { commandTimeoutMs: 500, connectTimeoutMs: 500 };
  return url === testRedisUrl()
    ? testRedisSettings(prefix, timeouts)
    : { url, keyPrefix: prefix, ...timeouts };
}

function candidate(name: string): RouteCandidate {
  const credential = new Credential({
    id: `config:claude-api-key[${name}]`,
    indexSeed: `int:${name}`,
    provider: 'claude',
    channel: 'claude',
    kind: 'api-key',
    source: 'config',
    label: name,
    secret: { apiKey: `sk-${name}` },
  });
  return {
    credential,
    upstreamModel: 'claude-sonnet-4-5-20250929',
    stateModel: 'claude-sonnet-4-5-20250929',
  };
}

function first(result: SelectionResult): string {
  if (result.kind !== 'ok') throw new Error(`expected candidates, got ${result.kind}`);
  return result.candidates[0].credential.label;
}

/** One gateway replica's worth of routing: its own Redis connections, state and selector. */
interface Replica {
  redis: RedisService;
  state: CredentialStateRepository;
  selector: Selector;
}

async function replica(url: string, prefix: string, name: string, wait = true): Promise<Replica> {
  const redis = new RedisService(settings(url, prefix), name);
  redis.connect();
  if (wait) expect(await redis.waitReady(5000)).toBe(true);
  const state = new CredentialStateRepository(redis, { refreshMs: 1000 });
  state.start();
  return {
    redis,
    state,
    selector: new Selector(state, new RoundRobinCursorRepository(redis), () => 'round-robin'),
  };
}

async function close(r: Replica): Promise<void> {
  r.state.stop();
  await r.redis.close();
}

describe('routing across replicas (real Redis)', () => {
  const candidates = ['a', 'b', 'c'].map(candidate);
  const model = 'claude-sonnet-4-5-20250929';
  let one: Replica;
  let two: Replica;

  beforeEach(async () => {
    const prefix = uniquePrefix('routing');
    one = await replica(testRedisUrl(), prefix, 'gw-1');
    two = await replica(testRedisUrl(), prefix, 'gw-2');
    // Pub/sub subscriptions are asynchronous: wait until a change made by one reaches the other
    // over the channel (not through its periodic reload, which would prove nothing).
    let heard = false;
    const off = two.redis.subscribe(STATE_CHANNEL, () => (heard = true));
    await waitFor(
      async () => {
        await one.state.setQuotaExceeded('probe', model, 1);
        return heard;
      },
      { what: 'the state channel to be subscribed' },
    );
    off();
    await one.state.clear('probe');
  });

  afterEach(async () => {
    await close(one);
    await close(two);
  });

  it('should rotate as one: 30 picks over two replicas give each of 3 credentials exactly 10', async () => {
    const counts: Record<string, number> = {};
    const picks: Promise<SelectionResult>[] = [];
    // Interleave the replicas unevenly and concurrently, as a load balancer would.
    for (let i = 0; i < 30; i++) {
      const r = i % 3 === 0 ? two : one;
      picks.push(r.selector.select(model, candidates));
    }
    for (const result of await Promise.all(picks)) {
      const name = first(result);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('should respect a cooldown set by the other replica within 100 ms', async () => {
    const [a] = candidates;
    const decision = cooldownFor({ status: 429, level: 0, retryAfterSeconds: 60 });
    const started = Date.now();
    await one.state.recordFailure(a.credential.authIndex, model, decision, {
      status: 429,
      message: 'slow down',
    });
    await waitFor(() => !two.state.availability(a.credential.authIndex, model).available, {
      timeoutMs: 1000,
      intervalMs: 2,
      what: 'the cooldown to reach the other replica',
    });
    expect(Date.now() - started).toBeLessThan(100);
    for (let i = 0; i < 6; i++) {
      const result = await two.selector.select(model, candidates);
      expect(
        result.kind === 'ok' && result.candidates.map((c) => c.credential.label),
      ).not.toContain('a');
    }
    expect(two.state.get(a.credential.authIndex, model)?.lastError).toMatchObject({
      status: 429,
      message: 'slow down',
    });

    // A success on the second replica clears it for the first one too.
    await two.state.recordSuccess(a.credential.authIndex, model);
    await waitFor(() => one.state.availability(a.credential.authIndex, model).available, {
      timeoutMs: 1000,
      what: 'the clear to reach the first replica',
    });
  });

  it('should answer cooldown with the earliest reset once every credential is benched on another replica', async () => {
    const now = Date.now();
    for (const [i, c] of candidates.entries()) {
      const decision = cooldownFor({ status: 429, level: 0, retryAfterSeconds: 10 * (i + 1) });
      await one.state.recordFailure(c.credential.authIndex, model, decision, { status: 429 });
    }
    await waitFor(
      () =>
        candidates.every((c) => !two.state.availability(c.credential.authIndex, model).available),
      {
        what: 'every cooldown to arrive',
      },
    );
    const result = await two.selector.select(model, candidates);
    expect(result.kind).toBe('cooldown');
    if (result.kind === 'cooldown') {
      expect(result.retryAfterSeconds).toBe(10);
      expect(result.resetAt).toBeGreaterThanOrEqual(now + 10_000);
    }
  });

  it('should let a replica that starts later load the state already in Redis', async () => {
    const [, b] = candidates;
    await one.state.recordFailure(
      b.credential.authIndex,
      model,
      cooldownFor({ status: 403, level: 0 }),
      {
        status: 403,
      },
    );
    const prefix = one.redis.settings.keyPrefix;
    const late = await replica(testRedisUrl(), prefix, 'gw-late');
    try {
      await waitFor(() => !late.state.availability(b.credential.authIndex, model).available, {
        what: 'the initial reload',
      });
    } finally {
      await close(late);
    }
  });
});

describe('routing with Redis down', () => {
  it('should keep selecting from local state: in-process cursor and cooldowns', async () => {
    const port = await freePort(); // nothing listens here
    const down = await replica(
      `redis://127.0.0.1:${port}`,
      uniquePrefix('routing-down'),
      'gw-down',
      false,
    );
    try {
      const candidates = ['a', 'b', 'c'].map(candidate);
      const model = candidates[0].stateModel;
      const started = Date.now();
      const firsts: string[] = [];
      for (let i = 0; i < 6; i++) firsts.push(first(await down.selector.select(model, candidates)));
      expect(firsts).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);

      await down.state.recordFailure(
        candidates[1].credential.authIndex,
        model,
        cooldownFor({ status: 500, level: 0 }),
        {
          status: 500,
        },
      );
      for (let i = 0; i < 4; i++) {
        const result = await down.selector.select(model, candidates);
        expect(result.kind === 'ok' && result.candidates.map((c) => c.credential.label)).toEqual(
          expect.not.arrayContaining(['b']),
        );
      }
      expect(await down.state.refresh()).toBe(false);
      // Nothing waited on the dead Redis.
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      await close(down);
    }
  });
});
