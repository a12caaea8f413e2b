import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LeaseRepository, RedisService } from '@app/storage';

/** A held lock. */
export interface ConfigLock {
  /** False when Redis was unreachable and the edit runs unlocked. */
  readonly held: boolean;
  release(): Promise<void>;
}

/** How long to hold and how long to wait. */
export interface ConfigLockOptions {
  /** The lock expires by itself after this long (a crashed holder never blocks for good). */
  ttlMs: number;
  /** Give up waiting for another holder after this long. */
  waitMs: number;
}

const DEFAULTS: ConfigLockOptions = { ttlMs: 10_000, waitMs: 5_000 };

const UNLOCKED: ConfigLock = { held: false, release: () => Promise.resolve() };

/**
 * The cluster-wide lock around a config.yaml read-modify-write, so two replicas editing the
 * shared file at once cannot each write their own edit over the other's (a lease with a
 * random owner per edit). When Redis is unreachable edits go ahead unlocked: each process still
 * serializes its own edits, and the management API stays usable.
 */
@Injectable()
export class ConfigLockRepository {
  private readonly logger = new Logger('ConfigLock');
  private lastWarn = 0;

  private readonly leases: LeaseRepository;

  constructor(private readonly redis: RedisService) {
    this.leases = new LeaseRepository(redis);
  }

  /** Wait for the lock; 'busy' when another holder kept it past `waitMs`. */
  async acquire(options: Partial<ConfigLockOptions> = {}): Promise<ConfigLock | 'busy'> {
    const { ttlMs, waitMs } = { ...DEFAULTS, ...options };
    const key = this.redis.key('config', 'lock');
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + waitMs;
    for (;;) {
      let held: boolean;
      try {
        held = await this.leases.acquire(key, token, ttlMs);
      } catch (err) {
        this.warn(err);
        return UNLOCKED;
      }
      if (held) return { held: true, release: () => this.release(key, token) };
      if (Date.now() >= deadline) return 'busy';
      // Edits take milliseconds; a short random pause keeps waiters from retrying in step.
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }

  private async release(key: string, token: string): Promise<void> {
    try {
      await this.leases.release(key, token);
    } catch (err) {
      // The lock then expires after its TTL.
      this.warn(err);
    }
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.logger.warn(
      `config lock unavailable, editing without it: ${(err as Error)?.message ?? String(err)}`,
    );
  }
}
