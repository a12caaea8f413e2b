import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { hashTag, RedisService } from '@app/storage';
import type { LimitWindows } from '@app/proxy/limits/limits.policy';

/** The Redis keys of one client key's limits. */
export interface LimitKeys {
  /** Sorted set: lease id → expiry (ms), the requests in flight. */
  readonly leases: string;
  /** Sorted set: request id → admission time (ms), the sliding request log. */
  readonly requests: string;
  /** Hash: minute-bucket number → tokens. */
  readonly minuteTokens: string;
  /** Hash: hour-bucket number → tokens. */
  readonly dayTokens: string;
}

/** One held concurrency slot. */
export interface LeaseRef {
  readonly key: string;
  readonly id: string;
}

// Every script takes the time from Redis (TIME), so replicas with skewed clocks share one
// clock and one window. Token windows are bucketed; a bucket counts while any part of it is
// inside the window, which errs towards refusing.
const BUDGET_FN = `
local function overBudget(key, limit, win, width, now)
  local flat = redis.call('HGETALL', key)
  local first = math.floor((now - win) / width)
  local used, live = 0, {}
  for i = 1, #flat, 2 do
    local b = tonumber(flat[i])
    if b < first then
      redis.call('HDEL', key, flat[i])
    else
      local n = tonumber(flat[i + 1])
      used = used + n
      live[#live + 1] = { b, n }
    end
  end
  if used < limit then return 0 end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  for _, e in ipairs(live) do
    used = used - e[2]
    if used < limit then return (e[1] + 1) * width + win - now end
  end
  return win
end
`;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Admission, atomically: KEYS leases, requests, minute tokens, day tokens; ARGV as built by
 * `admitArgs`. Returns {0, 0} when admitted (the request is logged and holds a lease), else
 * {code, retry-after ms}: 1 concurrency, 2 rpm, 3 tpm, 4 tpd.
 */
const ADMIT_SCRIPT = `${BUDGET_FN}${NOW}
local conc, rpm, tpm, tpd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local win, mwidth, day, dwidth = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local lease, id = tonumber(ARGV[9]), ARGV[10]
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= conc then return { 1, 1000 } end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - win)
  if redis.call('ZCARD', KEYS[2]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return { 2, tonumber(oldest[2]) + win - now }
  end
end
if tpm > 0 then
  local wait = overBudget(KEYS[3], tpm, win, mwidth, now)
  if wait > 0 then return { 3, wait } end
end
if tpd > 0 then
  local wait = overBudget(KEYS[4], tpd, day, dwidth, now)
  if wait > 0 then return { 4, wait } end
end
if rpm > 0 then
  redis.call('ZADD', KEYS[2], now, id)
  redis.call('PEXPIRE', KEYS[2], win)
end
if conc > 0 then
  redis.call('ZADD', KEYS[1], now + lease, id)
  redis.call('PEXPIRE', KEYS[1], lease)
end
return { 0, 0 }
`;

/**
 * Extend running requests' leases: KEYS lease sets, ARGV[1] lease ms, ARGV[1 + i] the id in
 * KEYS[i]. XX: a lease released meanwhile is not brought back.
 */
const RENEW_SCRIPT = `${NOW}
local lease = tonumber(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], lease)
end
return #KEYS
`;

/**
 * Add finished requests' tokens: KEYS pairs (minute hash, day hash); ARGV[1..4] minute, minute
 * bucket, day, day bucket; ARGV[4 + i] the tokens of pair i.
 */
const TOKENS_SCRIPT = `${NOW}
local win, mwidth, day, dwidth = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, #KEYS, 2 do
  local n = tonumber(ARGV[4 + (i + 1) / 2])
  redis.call('HINCRBY', KEYS[i], math.floor(now / mwidth), n)
  redis.call('PEXPIRE', KEYS[i], win + mwidth)
  redis.call('HINCRBY', KEYS[i + 1], math.floor(now / dwidth), n)
  redis.call('PEXPIRE', KEYS[i + 1], day + dwidth)
end
return #KEYS / 2
`;

const sha = (script: string): string => createHash('sha1').update(script).digest('hex');
const SCRIPTS = {
  admit: { text: ADMIT_SCRIPT, sha: sha(ADMIT_SCRIPT) },
  renew: { text: RENEW_SCRIPT, sha: sha(RENEW_SCRIPT) },
  tokens: { text: TOKENS_SCRIPT, sha: sha(TOKENS_SCRIPT) },
} as const;

/**
 * Per-key limit counters in Redis, shared by every replica; one script call per operation and
 * client key. A client key's four keys share a hash tag (`<prefix>limits:{<key id>}:…`), so on a
 * Redis Cluster each client key's counters sit in one slot and different keys spread out.
 */
@Injectable()
export class LimitsRepository {
  constructor(private readonly redis: RedisService) {}

  /** The request-path connection's command timeout (ms). */
  get commandTimeoutMs(): number {
    return this.redis.settings.commandTimeoutMs;
  }

  /** True when the request-path connection is up (otherwise callers fail open at once). */
  get ready(): boolean {
    return this.redis.isReady;
  }

  /** The keys of one client key id. */
  keysFor(keyId: string): LimitKeys {
    const tag = hashTag(keyId);
    return {
      leases: this.redis.key('limits', tag, 'leases'),
      requests: this.redis.key('limits', tag, 'req'),
      minuteTokens: this.redis.key('limits', tag, 'tpm'),
      dayTokens: this.redis.key('limits', tag, 'tpd'),
    };
  }

  /** Run the admission script; the raw reply is decoded by `parseAdmitReply`. */
  admit(keys: LimitKeys, args: (string | number)[]): Promise<unknown> {
    return this.run('admit', [keys.leases, keys.requests, keys.minuteTokens, keys.dayTokens], args);
  }

  /** Give a concurrency slot back. */
  async release(lease: LeaseRef): Promise<void> {
    await this.redis.command.zrem(lease.key, lease.id);
  }

  /**
   * Extend the leases of requests still running: one script per client key (each is its own
   * slot on a Redis Cluster), sent together.
   */
  async renew(leases: readonly LeaseRef[], leaseMs: number): Promise<void> {
    if (leases.length === 0) return;
    const byKey = new Map<string, string[]>();
    for (const l of leases) {
      const ids = byKey.get(l.key);
      if (ids) ids.push(l.id);
      else byKey.set(l.key, [l.id]);
    }
    await Promise.all(
      [...byKey].map(([key, ids]) =>
        this.run(
          'renew',
          ids.map(() => key),
          [leaseMs, ...ids],
        ),
      ),
    );
  }

  /**
   * Add tokens per client key to its minute and day windows: one script per client key (each
   * is its own slot on a Redis Cluster), sent together. Returns the entries that were not
   * written with the first error (each script is atomic, so a retry of those counts nothing
   * twice); an empty list when all were.
   */
  async addTokens<E extends { keys: LimitKeys; tokens: number }>(
    entries: readonly E[],
    w: LimitWindows,
  ): Promise<{ failed: E[]; error?: Error }> {
    const windows = [w.minuteMs, w.minuteBucketMs, w.dayMs, w.dayBucketMs];
    const results = await Promise.allSettled(
      entries.map((e) =>
        this.run('tokens', [e.keys.minuteTokens, e.keys.dayTokens], [...windows, e.tokens]),
      ),
    );
    const failed: E[] = [];
    let error: Error | undefined;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      failed.push(entries[i]);
      error ??= r.reason as Error;
    });
    return { failed, error };
  }

  private async run(
    name: keyof typeof SCRIPTS,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const s = SCRIPTS[name];
    try {
      return await this.redis.command.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // NOSCRIPT: nothing ran (first call, or Redis restarted); send the script itself.
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return this.redis.command.eval(s.text, keys.length, ...keys, ...args);
    }
  }
}
