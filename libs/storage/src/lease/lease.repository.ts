import type { RedisService } from '@app/storage/redis.service';

// Take the lease when free, extend it when `owner` already holds it: one script, so a lease
// that lapses between the check and the write cannot be taken twice.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`;

// Compare-and-extend: only the holder renews (a holder whose lease lapsed and was taken by
// someone else must not extend theirs).
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

// Compare-and-delete: only the holder releases (a holder whose lease lapsed must not free the
// next holder's).
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Leases in Redis: a key holding its owner's id with a TTL, so a holder that dies frees it by
 * itself. Every operation is one script on one key (safe on Redis Cluster); `key` is the full,
 * prefixed key. Owners are random per holding (a lock) or a process id (a long-lived lease that
 * the same process renews). Redis errors reach the caller, which decides whether to go on
 * without the lease.
 */
export class LeaseRepository {
  constructor(private readonly redis: RedisService) {}

  /** Take the lease, or extend it when `owner` holds it already; false when someone else does. */
  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.command.eval(ACQUIRE, 1, key, owner, Math.ceil(ttlMs))) === 1;
  }

  /** Extend the lease only if `owner` still holds it; false when it lapsed or changed hands. */
  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.command.eval(RENEW, 1, key, owner, Math.ceil(ttlMs))) === 1;
  }

  /** Give the lease up only if `owner` holds it; false when it was not theirs (any more). */
  async release(key: string, owner: string): Promise<boolean> {
    return (await this.redis.command.eval(RELEASE, 1, key, owner)) === 1;
  }

  /** Whether anyone holds the lease now. */
  async isHeld(key: string): Promise<boolean> {
    return (await this.redis.command.exists(key)) === 1;
  }
}
