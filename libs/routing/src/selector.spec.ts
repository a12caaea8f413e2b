import { Credential } from '@app/routing/credential.types';
import type { Availability } from '@app/routing/credential-state.policy';
import type { RouteCandidate } from '@app/routing/model-registry';
import type { RoutingStrategy } from '@app/routing/routing-config';
import { Selector, type AvailabilitySource, type CursorSource } from '@app/routing/selector';

const NOW = 1_000_000;

function candidate(name: string, priority = 0): RouteCandidate {
  const credential = new Credential({
    id: name,
    indexSeed: name,
    provider: 'claude',
    channel: 'claude',
    kind: 'api-key',
    source: 'config',
    label: name,
    priority,
    secret: { apiKey: name },
  });
  return { credential, upstreamModel: 'm', stateModel: 'm' };
}

/** In-memory state: a shared cursor per bucket and cooldowns by auth index. */
class FakeState implements AvailabilitySource, CursorSource {
  readonly cursors = new Map<string, number>();
  readonly cooling = new Map<string, number>();
  readonly buckets: string[] = [];

  availability(authIndex: string, _model: string, now: number): Availability {
    const until = this.cooling.get(authIndex) ?? 0;
    return until > now ? { available: false, until } : { available: true, until: 0 };
  }

  cool(c: RouteCandidate, until: number): void {
    this.cooling.set(c.credential.authIndex, until);
  }

  async next(bucket: string): Promise<number> {
    this.buckets.push(bucket);
    const n = (this.cursors.get(bucket) ?? 0) + 1;
    this.cursors.set(bucket, n);
    return n;
  }
}

function ids(result: Awaited<ReturnType<Selector['select']>>): string[] {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.kind}`);
  return result.candidates.map((c) => c.credential.id);
}

describe(Selector.name, () => {
  let state: FakeState;
  let strategy: RoutingStrategy;
  let sut: Selector;
  const a = candidate('a');
  const b = candidate('b');
  const c = candidate('c');
  const hi1 = candidate('hi1', 10);
  const hi2 = candidate('hi2', 10);

  beforeEach(() => {
    state = new FakeState();
    strategy = 'round-robin';
    sut = new Selector(
      state,
      state,
      () => strategy,
      () => NOW,
    );
  });

  it('should rotate round-robin within the bucket, keeping the others as failover', async () => {
    const firsts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const order = ids(await sut.select('m', [a, b, c]));
      expect(order).toHaveLength(3);
      expect(new Set(order)).toEqual(new Set(['a', 'b', 'c']));
      firsts.push(order[0]);
    }
    expect(firsts).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(ids(await sut.select('m', [a, b, c]))).toEqual(['a', 'b', 'c']);
    expect(ids(await sut.select('m', [a, b, c]))).toEqual(['b', 'c', 'a']);
  });

  it('should spread 30 picks evenly over 3 credentials', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const first = ids(await sut.select('m', [a, b, c]))[0];
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('should always start with the first available credential with fill-first', async () => {
    strategy = 'fill-first';
    for (let i = 0; i < 3; i++)
      expect(ids(await sut.select('m', [a, b, c]))).toEqual(['a', 'b', 'c']);
    expect(state.buckets).toEqual([]);
    state.cool(a, NOW + 5000);
    expect(ids(await sut.select('m', [a, b, c]))).toEqual(['b', 'c']);
  });

  it('should try the highest priority bucket first and rotate only inside it', async () => {
    const first = ids(await sut.select('m', [hi1, hi2, a, b]));
    const second = ids(await sut.select('m', [hi1, hi2, a, b]));
    expect(first).toEqual(['hi1', 'hi2', 'a', 'b']);
    expect(second).toEqual(['hi2', 'hi1', 'a', 'b']);
    expect(state.buckets).toEqual(['m|10', 'm|10']);
  });

  it('should fall to the next bucket when the top one is cooling down', async () => {
    state.cool(hi1, NOW + 1000);
    state.cool(hi2, NOW + 1000);
    const order = ids(await sut.select('m', [hi1, hi2, a, b]));
    expect(order.sort()).toEqual(['a', 'b']);
    expect(state.buckets).toEqual(['m|0']);
  });

  it('should skip a credential cooling down for the model', async () => {
    state.cool(b, NOW + 60_000);
    for (let i = 0; i < 4; i++) expect(ids(await sut.select('m', [a, b, c]))).not.toContain('b');
  });

  it('should not ask for a cursor when only one credential is available', async () => {
    expect(ids(await sut.select('m', [a]))).toEqual(['a']);
    expect(state.buckets).toEqual([]);
  });

  it('should report the earliest reset when every candidate is cooling down', async () => {
    state.cool(a, NOW + 90_000);
    state.cool(b, NOW + 2_500);
    state.cool(c, NOW + 30_000);
    expect(await sut.select('m', [a, b, c])).toEqual({
      kind: 'cooldown',
      resetAt: NOW + 2_500,
      retryAfterSeconds: 3,
    });
  });

  it('should report at least one second of Retry-After', async () => {
    state.cool(a, NOW + 10);
    expect(await sut.select('m', [a])).toMatchObject({ kind: 'cooldown', retryAfterSeconds: 1 });
  });

  it('should say so when there is no candidate at all', async () => {
    expect(await sut.select('m', [])).toEqual({ kind: 'none' });
  });

  it('should order unsorted input by priority', async () => {
    strategy = 'fill-first';
    expect(ids(await sut.select('m', [a, hi1]))).toEqual(['hi1', 'a']);
  });
});
