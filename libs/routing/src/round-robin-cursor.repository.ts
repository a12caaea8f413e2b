import type { RedisService } from '@app/storage';

/** Cursors of models nobody asks for any more disappear after a day. */
const CURSOR_TTL_SECONDS = 24 * 3600;

/**
 * Round-robin cursors shared by every replica (`INCR` on one key per bucket), so N replicas
 * rotate as one. While Redis is unreachable an in-process counter stands in.
 */
export class RoundRobinCursorRepository {
  private readonly local = new Map<string, number>();

  constructor(private readonly redis: RedisService) {}

  /** The next value (1, 2, 3…) of a bucket's cursor. Never throws. */
  async next(bucket: string): Promise<number> {
    if (this.redis.isReady) {
      const key = this.redis.key('routing', 'rr', bucket);
      try {
        const n = await this.redis.command.incr(key);
        if (n === 1) this.redis.command.expire(key, CURSOR_TTL_SECONDS).catch(() => undefined);
        return n;
      } catch {
        // fall through to the local cursor
      }
    }
    const n = (this.local.get(bucket) ?? 0) + 1;
    this.local.set(bucket, n);
    return n;
  }
}
