import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@app/storage';

/** Where an address stands. */
export interface BanStatus {
  /** Milliseconds of ban left (0 when not banned). */
  bannedForMs: number;
  /** Failed attempts counted toward the next ban. */
  failures: number;
}

// Count a failure and, at the limit, replace the counter by a ban; atomic so two replicas
// counting the same address at once still ban at exactly the limit.
const FAIL_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
  redis.call('DEL', KEYS[1])
end
return n
`;

interface LocalEntry {
  failures: number;
  bannedUntil: number;
  expiresAt: number;
}

/**
 * Failed management logins and bans per client address, in Redis so a ban holds on every
 * replica. When Redis is unreachable this process keeps counting on its own (a brute force
 * is never unthrottled), and Redis takes over again when it is back.
 */
@Injectable()
export class ManagementBanRepository {
  private readonly logger = new Logger('ManagementAuth');
  private readonly local = new Map<string, LocalEntry>();

  constructor(private readonly redis: RedisService) {}

  private keys(address: string): [string, string] {
    const a = address || 'unknown';
    return [this.redis.key('mgmt', 'fail', a), this.redis.key('mgmt', 'ban', a)];
  }

  /** Ban time left and failures so far for an address. */
  async status(address: string): Promise<BanStatus> {
    const [fail, ban] = this.keys(address);
    try {
      const res = await this.redis.command.pipeline().pttl(ban).get(fail).exec();
      if (!res) throw new Error('pipeline discarded');
      const [[e1, ttl], [e2, count]] = res;
      const failed = e1 ?? e2;
      if (failed) throw failed;
      return { bannedForMs: Math.max(0, Number(ttl)), failures: Number(count ?? 0) };
    } catch (err) {
      this.warn(err);
      return this.localStatus(address);
    }
  }

  /** Count a failed attempt; `max` failures within `banMs` of each other ban for `banMs`. */
  async recordFailure(address: string, max: number, banMs: number): Promise<void> {
    const [fail, ban] = this.keys(address);
    try {
      await this.redis.command.eval(FAIL_SCRIPT, 2, fail, ban, banMs, max);
    } catch (err) {
      this.warn(err);
      this.localFailure(address, max, banMs);
    }
  }

  /** Forget the failures of an address (after a successful login). */
  async reset(address: string): Promise<void> {
    this.local.delete(address);
    try {
      await this.redis.command.del(this.keys(address)[0]);
    } catch (err) {
      this.warn(err);
    }
  }

  private localStatus(address: string): BanStatus {
    const now = Date.now();
    const e = this.local.get(address);
    if (!e || e.expiresAt <= now) return { bannedForMs: 0, failures: 0 };
    return { bannedForMs: Math.max(0, e.bannedUntil - now), failures: e.failures };
  }

  private localFailure(address: string, max: number, banMs: number): void {
    const now = Date.now();
    // Stale entries go when the map grows (bounded by distinct addresses seen in one window).
    if (this.local.size > 10_000) {
      for (const [k, v] of this.local) if (v.expiresAt <= now) this.local.delete(k);
    }
    const e = this.local.get(address);
    const failures = (e && e.expiresAt > now ? e.failures : 0) + 1;
    if (failures >= max) {
      this.local.set(address, { failures: 0, bannedUntil: now + banMs, expiresAt: now + banMs });
    } else {
      this.local.set(address, { failures, bannedUntil: 0, expiresAt: now + banMs });
    }
  }

  private lastWarn = 0;

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.logger.warn(`ban store unreachable, counting locally: ${(err as Error).message}`);
  }
}
