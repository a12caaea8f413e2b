import {
  effectiveLeadMs,
  jitterMs,
  refreshDueAt,
  tokenFingerprint,
} from '@app/oauth/refresh-schedule';

const HOUR = 3600_000;

describe(effectiveLeadMs.name, () => {
  it('should use the provider lead when the lifetime is unknown or long', () => {
    expect(effectiveLeadMs(10 * HOUR, 4 * HOUR, undefined)).toBe(4 * HOUR);
    expect(effectiveLeadMs(10 * HOUR, 4 * HOUR, 0)).toBe(4 * HOUR);
  });

  it('should cap the lead at half the lifetime so a short token is not due on arrival', () => {
    // A 1 h Claude token with a 4 h lead: refresh after 30 min, not at once.
    expect(effectiveLeadMs(HOUR, 4 * HOUR, 0)).toBe(HOUR / 2);
  });
});

describe(jitterMs.name, () => {
  it('should be deterministic and stay inside [0, max)', () => {
    for (let i = 0; i < 200; i++) {
      const j = jitterMs(`seed-${i}`, 1000);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(1000);
      expect(jitterMs(`seed-${i}`, 1000)).toBe(j);
    }
    expect(jitterMs('x', 0)).toBe(0);
  });

  it('should spread different seeds', () => {
    const values = new Set(Array.from({ length: 50 }, (_, i) => jitterMs(`a${i}`, 1_000_000)));
    expect(values.size).toBeGreaterThan(45);
  });
});

describe(refreshDueAt.name, () => {
  it('should fall between expiry − lead − 10 % of the lead and expiry − lead', () => {
    const expiresAt = 100 * HOUR;
    for (const auth of ['a', 'b', 'c', 'd']) {
      const due = refreshDueAt(auth, expiresAt, 4 * HOUR);
      expect(due).toBeLessThanOrEqual(expiresAt - 4 * HOUR);
      expect(due).toBeGreaterThan(expiresAt - 4 * HOUR - 0.4 * HOUR);
    }
  });

  it('should cap the jitter at five minutes for long leads (Codex: 5 days)', () => {
    const expiresAt = 1000 * HOUR;
    const lead = 5 * 24 * HOUR;
    const due = refreshDueAt('acct', expiresAt, lead);
    expect(expiresAt - lead - due).toBeLessThan(5 * 60_000);
  });

  it('should give every replica the same answer for the same token state', () => {
    expect(refreshDueAt('k', 5 * HOUR, HOUR, 0)).toBe(refreshDueAt('k', 5 * HOUR, HOUR, 0));
  });
});

describe(tokenFingerprint.name, () => {
  it('should be short, stable and not contain the token', () => {
    const f = tokenFingerprint('rt-secret-value');
    expect(f).toHaveLength(16);
    expect(f).toBe(tokenFingerprint('rt-secret-value'));
    expect(f).not.toContain('secret');
  });
});
