import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@app/storage';

/** The answer to "may this address try a management key now?". */
export type AttemptGate =
  /** Go ahead: this is attempt number `attempt` of the window. */
  | { allowed: true; attempt: number }
  /** Refused without looking at the key: banned for `bannedForMs` more. */
  | { allowed: false; bannedForMs: number };

// Count the attempt before the key is looked at, in one step, so concurrent attempts from one
// address on any number of replicas can never get more than `max` keys evaluated. The attempt
// past the limit turns the counter into a ban. Returns {attempt, 0} or {0, ban ms left}.
const ADMIT_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then return {0, ttl} end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if n > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
  redis.call('DEL', KEYS[1])
  return {0, tonumber(ARGV[1])}
end
return {n, 0}
`;

/** Where an address stands. */
export interface Standing {
  /** Milliseconds of ban left (0 when not banned). */
  bannedForMs: number;
  /** Attempts counted in the current window. */
  attempts: number;
}

interface LocalEntry {
  attempts: number;
  /** When the attempt window ends (it restarts with every attempt, as the Redis TTL does). */
  windowUntil: number;
  bannedUntil: number;
}

/** Most addresses the local fallback tracks before it sweeps expired ones. */
const LOCAL_SWEEP_AT = 10_000;

/**
 * Management-key attempts and bans per client address, in Redis so a ban holds on every replica.
 * Attempts are counted BEFORE the key is checked (`admit`), so a burst of concurrent guesses
 * gets at most `max` keys evaluated in total. When Redis is unreachable this process applies
 * the same rule on its own (a brute force is never unthrottled), and Redis takes over again
 * when it is back.
 */
@Injectable()
export class ManagementBanRepository {
  private readonly logger = new Logger('ManagementAuth');
  private readonly local = new Map<string, LocalEntry>();
  private lastWarn = 0;

  constructor(private readonly redis: RedisService) {}

  // One hash tag per address: the script's two keys stay in one slot on Redis Cluster.
  private keys(address: string): [fail: string, ban: string] {
    const tag = `{${address || 'unknown'}}`;
    return [this.redis.key('mgmt', tag, 'fail'), this.redis.key('mgmt', tag, 'ban')];
  }

  /**
   * Count one attempt from `address`. Allowed while the address has made at most `max`
   * attempts within `banMs` of each other (successes reset the count); the attempt after that
   * bans it for `banMs`. A banned address is refused without counting.
   */
  async admit(address: string, max: number, banMs: number): Promise<AttemptGate> {
    // A ban this process imposed while Redis was away still holds.
    const localBan = this.localBannedFor(address);
    if (localBan > 0) return { allowed: false, bannedForMs: localBan };
    if (this.redis.isReady) {
      const [fail, ban] = this.keys(address);
      try {
        const [attempt, bannedFor] = (await this.redis.command.eval(
          ADMIT_SCRIPT,
          2,
          fail,
          ban,
          banMs,
          max,
        )) as [number, number];
        return attempt > 0
          ? { allowed: true, attempt }
          : { allowed: false, bannedForMs: Number(bannedFor) };
      } catch (err) {
        this.warn(err);
      }
    }
    return this.localAdmit(address, max, banMs);
  }

  /** Ban time left (0 when not banned) and attempts counted for `address`; counts nothing. */
  async standing(address: string): Promise<Standing> {
    const local = this.localStanding(address);
    if (this.redis.isReady) {
      const [fail, ban] = this.keys(address);
      try {
        const res = await this.redis.command.pipeline().pttl(ban).get(fail).exec();
        if (!res) throw new Error('pipeline discarded');
        const [[e1, ttl], [e2, count]] = res;
        const failed = e1 ?? e2;
        if (failed) throw failed;
        return {
          bannedForMs: Math.max(0, Number(ttl), local.bannedForMs),
          attempts: Number(count ?? 0) + local.attempts,
        };
      } catch (err) {
        this.warn(err);
      }
    }
    return local;
  }

  /** The key of attempt `attempt` was wrong: at the limit, ban the address now. */
  async failed(address: string, attempt: number, max: number, banMs: number): Promise<void> {
    if (attempt < max) return;
    const [fail, ban] = this.keys(address);
    if (this.redis.isReady) {
      try {
        await this.redis.command.multi().set(ban, '1', 'PX', banMs).del(fail).exec();
        return;
      } catch (err) {
        this.warn(err);
      }
    }
    this.localBan(address, banMs);
  }

  /** Forget the attempts of an address (after a successful login). */
  async reset(address: string): Promise<void> {
    const e = this.local.get(address);
    if (e) e.attempts = 0;
    if (!this.redis.isReady) return;
    try {
      await this.redis.command.del(this.keys(address)[0]);
    } catch (err) {
      this.warn(err);
    }
  }

  private entry(address: string, now: number): LocalEntry {
    let e = this.local.get(address);
    if (e && e.windowUntil <= now && e.bannedUntil <= now) e = undefined;
    if (!e) {
      // Stale entries go when the map grows (bounded by distinct addresses seen in one window).
      if (this.local.size >= LOCAL_SWEEP_AT) {
        for (const [k, v] of this.local) {
          if (v.windowUntil <= now && v.bannedUntil <= now) this.local.delete(k);
        }
      }
      e = { attempts: 0, windowUntil: 0, bannedUntil: 0 };
      this.local.set(address, e);
    }
    return e;
  }

  private localAdmit(address: string, max: number, banMs: number): AttemptGate {
    const now = Date.now();
    const e = this.entry(address, now);
    if (e.bannedUntil > now) return { allowed: false, bannedForMs: e.bannedUntil - now };
    if (e.windowUntil <= now) e.attempts = 0;
    e.attempts++;
    e.windowUntil = now + banMs;
    if (e.attempts > max) {
      e.attempts = 0;
      e.bannedUntil = now + banMs;
      return { allowed: false, bannedForMs: banMs };
    }
    return { allowed: true, attempt: e.attempts };
  }

  private localBan(address: string, banMs: number): void {
    const now = Date.now();
    const e = this.entry(address, now);
    e.attempts = 0;
    e.bannedUntil = now + banMs;
  }

  private localBannedFor(address: string): number {
    const e = this.local.get(address);
    return e ? Math.max(0, e.bannedUntil - Date.now()) : 0;
  }

  private localStanding(address: string): Standing {
    const now = Date.now();
    const e = this.local.get(address);
    if (!e) return { bannedForMs: 0, attempts: 0 };
    return {
      bannedForMs: Math.max(0, e.bannedUntil - now),
      attempts: e.windowUntil > now ? e.attempts : 0,
    };
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.logger.warn(`ban store unreachable, counting locally: ${(err as Error).message}`);
  }
}
