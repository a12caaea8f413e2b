import { cooldownFor } from '@app/routing/cooldown.policy';
import {
  afterFailure,
  afterSuccess,
  availabilityOf,
  isStale,
  MAX_STATE_MESSAGE,
  secretFingerprint,
  STALE_STATE_MS,
  withErrorMark,
  withoutErrorMark,
  withQuotaExceeded,
  type ModelState,
} from '@app/routing/credential-state.policy';

const NOW = 1_000_000;

function state(over: Partial<ModelState> = {}): ModelState {
  return { cooldownUntil: 0, level: 0, quotaExceededUntil: 0, updatedAt: NOW - 1, ...over };
}

describe(availabilityOf.name, () => {
  it('should be available with no entries or with ended cooldowns', () => {
    expect(availabilityOf(undefined, undefined, NOW)).toEqual({ available: true, until: 0 });
    expect(availabilityOf(state({ cooldownUntil: NOW }), undefined, NOW).available).toBe(true);
  });

  it('should take the latest end of the model entry and the whole-credential entry', () => {
    const own = state({ cooldownUntil: NOW + 10, quotaExceededUntil: NOW + 30 });
    const all = state({ cooldownUntil: NOW + 20 });
    expect(availabilityOf(own, all, NOW)).toEqual({ available: false, until: NOW + 30 });
    expect(availabilityOf(undefined, state({ quotaExceededUntil: NOW + 40 }), NOW)).toEqual({
      available: false,
      until: NOW + 40,
    });
  });

  it('should make an error mark on the whole credential unavailable with no end', () => {
    const all = state({ error: { message: 'revoked', at: NOW } });
    expect(availabilityOf(undefined, all, NOW)).toEqual({
      available: false,
      until: Number.POSITIVE_INFINITY,
    });
  });
});

describe(afterFailure.name, () => {
  it('should bench for the decided time and record the error, capped', () => {
    const next = afterFailure(
      undefined,
      cooldownFor({ status: 500, level: 0 }),
      {
        status: 500,
        message: 'x'.repeat(1000),
      },
      NOW,
    );
    expect(next.cooldownUntil).toBe(NOW + 60_000);
    expect(next.lastError).toEqual({
      status: 500,
      message: 'x'.repeat(MAX_STATE_MESSAGE),
      at: NOW,
    });
    expect(next.updatedAt).toBe(NOW);
  });

  it('should never shorten a running cooldown and keep quota and error mark', () => {
    const prev = state({
      cooldownUntil: NOW + 999_999,
      quotaExceededUntil: NOW + 5,
      error: { message: 'e', at: 1 },
    });
    const next = afterFailure(prev, cooldownFor({ status: 500, level: 0 }), { status: 500 }, NOW);
    expect(next).toMatchObject({
      cooldownUntil: NOW + 999_999,
      quotaExceededUntil: NOW + 5,
      error: { message: 'e', at: 1 },
      lastError: { status: 500, message: '', at: NOW },
    });
  });

  it('should store the failure level the policy decided', () => {
    const next = afterFailure(
      state({ level: 2 }),
      cooldownFor({ status: 429, level: 2 }),
      {
        status: 429,
      },
      NOW,
    );
    expect(next.level).toBe(3);
    expect(next.cooldownUntil).toBe(NOW + 4000);
  });

  it('should set no cooldown for a decision without one', () => {
    const next = afterFailure(
      undefined,
      cooldownFor({ status: 400, level: 0 }),
      { status: 400 },
      NOW,
    );
    expect(next.cooldownUntil).toBe(0);
  });
});

describe(afterSuccess.name, () => {
  it('should change nothing without an entry', () => {
    expect(afterSuccess(undefined, NOW)).toBeUndefined();
  });

  it('should delete an entry holding only a cooldown', () => {
    expect(afterSuccess(state({ cooldownUntil: NOW + 10, level: 3 }), NOW)).toBeNull();
  });

  it('should keep a running quota or an error mark and clear the rest', () => {
    const prev = state({
      cooldownUntil: NOW + 10,
      level: 3,
      quotaExceededUntil: NOW + 100,
      lastError: { status: 429, message: 'slow', at: 1 },
    });
    expect(afterSuccess(prev, NOW)).toEqual({
      ...prev,
      cooldownUntil: 0,
      level: 0,
      lastError: undefined,
      updatedAt: NOW,
    });
    const marked = state({ error: { message: 'e', at: 1 } });
    expect(afterSuccess(marked, NOW)).toMatchObject({ error: { message: 'e', at: 1 } });
  });

  it('should delete an entry whose quota already ended', () => {
    expect(afterSuccess(state({ quotaExceededUntil: NOW }), NOW)).toBeNull();
  });
});

describe(withQuotaExceeded.name, () => {
  it('should set the quota end and keep everything else', () => {
    const prev = state({
      cooldownUntil: 5,
      level: 2,
      lastError: { status: 1, message: 'm', at: 2 },
    });
    expect(withQuotaExceeded(prev, NOW + 50, NOW)).toEqual({
      ...prev,
      quotaExceededUntil: NOW + 50,
      updatedAt: NOW,
    });
    expect(withQuotaExceeded(undefined, NOW + 50, NOW)).toMatchObject({
      cooldownUntil: 0,
      level: 0,
      quotaExceededUntil: NOW + 50,
    });
  });
});

describe('error marks', () => {
  it('should mark with a capped message, keep the rest, and stamp the time', () => {
    const prev = state({ cooldownUntil: NOW + 5 });
    const next = withErrorMark(prev, { message: 'y'.repeat(500), fingerprint: 'f' }, NOW);
    expect(next.error).toEqual({
      message: 'y'.repeat(MAX_STATE_MESSAGE),
      fingerprint: 'f',
      at: NOW,
    });
    expect(next.cooldownUntil).toBe(NOW + 5);
  });

  it('should change nothing when clearing an unmarked entry', () => {
    expect(withoutErrorMark(undefined, NOW)).toBeUndefined();
    expect(withoutErrorMark(state(), NOW)).toBeUndefined();
  });

  it('should delete a cleared entry unless a cooldown or quota still runs', () => {
    const marked = state({ error: { message: 'e', at: 1 } });
    expect(withoutErrorMark(marked, NOW)).toBeNull();
    const cooling = state({ error: { message: 'e', at: 1 }, cooldownUntil: NOW + 1 });
    expect(withoutErrorMark(cooling, NOW)).toEqual({
      ...cooling,
      error: undefined,
      updatedAt: NOW,
    });
  });
});

describe(isStale.name, () => {
  const old = NOW - STALE_STATE_MS - 1;

  it('should call an inactive entry untouched for a day stale', () => {
    expect(isStale(state({ updatedAt: old }), NOW)).toBe(true);
    expect(isStale(state({ updatedAt: NOW - 1000 }), NOW)).toBe(false);
  });

  it('should never call an active or marked entry stale', () => {
    expect(isStale(state({ updatedAt: old, cooldownUntil: NOW + 1 }), NOW)).toBe(false);
    expect(isStale(state({ updatedAt: old, quotaExceededUntil: NOW + 1 }), NOW)).toBe(false);
    expect(isStale(state({ updatedAt: old, error: { message: 'e', at: 0 } }), NOW)).toBe(false);
  });
});

describe(secretFingerprint.name, () => {
  it('should be short, stable and not the secret', () => {
    expect(secretFingerprint('tok')).toBe(secretFingerprint('tok'));
    expect(secretFingerprint('tok')).toHaveLength(16);
    expect(secretFingerprint('tok')).not.toBe(secretFingerprint('tok2'));
  });
});
