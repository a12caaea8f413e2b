import { cooldownFor, isRetryable, isRoundRetryable } from '@app/routing/cooldown.policy';

const MIN = 60_000;

describe(cooldownFor.name, () => {
  it.each([
    [401, 30 * MIN, 'auth'],
    [402, 30 * MIN, 'auth'],
    [403, 30 * MIN, 'auth'],
    [404, 12 * 60 * MIN, 'not_found'],
    [408, 1 * MIN, 'transient'],
    [500, 1 * MIN, 'transient'],
    [502, 1 * MIN, 'transient'],
    [503, 1 * MIN, 'transient'],
    [529, 1 * MIN, 'transient'],
    [400, 0, 'none'],
    [413, 0, 'none'],
    [422, 0, 'none'],
  ])('status %p → %p ms (%s)', (status, cooldownMs, reason) => {
    expect(cooldownFor({ status, level: 0 })).toEqual({ cooldownMs, nextLevel: 0, reason });
  });

  it('should honour the upstream retry hint on 429', () => {
    expect(cooldownFor({ status: 429, level: 0, retryAfterSeconds: 37 })).toEqual({
      cooldownMs: 37_000,
      nextLevel: 1,
      reason: 'rate_limit',
    });
    expect(cooldownFor({ status: 429, level: 3, retryAfterSeconds: 1.5 }).cooldownMs).toBe(1500);
  });

  it('should back off exponentially from 1 s per consecutive 429 without a hint, up to 30 min', () => {
    const seen: number[] = [];
    let level = 0;
    for (let i = 0; i < 14; i++) {
      const d = cooldownFor({ status: 429, level });
      seen.push(d.cooldownMs);
      level = d.nextLevel;
    }
    expect(seen.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
    expect(seen[10]).toBe(1_024_000);
    expect(seen[11]).toBe(30 * MIN);
    expect(seen[13]).toBe(30 * MIN);
    expect(Math.max(...seen)).toBe(30 * MIN);
  });

  it('should ignore a zero or invalid retry hint', () => {
    expect(cooldownFor({ status: 429, level: 2, retryAfterSeconds: 0 }).cooldownMs).toBe(4000);
    expect(cooldownFor({ status: 429, level: 2, retryAfterSeconds: Number.NaN }).cooldownMs).toBe(
      4000,
    );
  });

  it('should never cool down with disable-cooling', () => {
    for (const status of [401, 404, 429, 500]) {
      expect(
        cooldownFor({ status, level: 4, disableCooling: true, retryAfterSeconds: 60 }),
      ).toEqual({
        cooldownMs: 0,
        nextLevel: 4,
        reason: 'none',
      });
    }
  });

  it('should not bench a 404 for a model served only by its family, but the rest as usual', () => {
    expect(cooldownFor({ status: 404, level: 2, unlistedModel: true })).toEqual({
      cooldownMs: 0,
      nextLevel: 2,
      reason: 'none',
    });
    expect(cooldownFor({ status: 429, level: 0, unlistedModel: true }).reason).toBe('rate_limit');
    expect(cooldownFor({ status: 503, level: 0, unlistedModel: true }).reason).toBe('transient');
    expect(cooldownFor({ status: 401, level: 0, unlistedModel: true }).reason).toBe('auth');
  });

  it('should keep the rate-limit level through other failures', () => {
    expect(cooldownFor({ status: 500, level: 5 }).nextLevel).toBe(5);
    expect(cooldownFor({ status: 401, level: 5 }).nextLevel).toBe(5);
  });
});

describe(isRetryable.name, () => {
  it.each([401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 0])(
    'should fail over on %p',
    (status) => {
      expect(isRetryable(status)).toBe(true);
    },
  );

  it('should send invalid-request errors straight back', () => {
    expect(isRetryable(422)).toBe(false);
    expect(isRetryable(400)).toBe(false);
    expect(
      isRetryable(
        400,
        '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}',
      ),
    ).toBe(false);
  });

  it('should fail over on a 400 that blames the credential', () => {
    expect(
      isRetryable(
        400,
        '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}',
      ),
    ).toBe(true);
    expect(
      isRetryable(
        400,
        '{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low"}}',
      ),
    ).toBe(true);
  });

  it('should not treat successes as retryable', () => {
    expect(isRetryable(200)).toBe(false);
    expect(isRetryable(304)).toBe(false);
  });
});

describe(isRoundRetryable.name, () => {
  it.each([403, 408, 429, 500, 502, 503, 504])('should allow another round after %p', (status) => {
    expect(isRoundRetryable(status)).toBe(true);
  });

  it.each([400, 401, 402, 404, 422, 501])('should end the request after %p', (status) => {
    expect(isRoundRetryable(status)).toBe(false);
  });
});
