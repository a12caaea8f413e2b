import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { hashTag, RedisService } from '@app/storage';
import {
  RECENT_BUCKET_COUNT,
  RECENT_BUCKET_SECONDS,
  countsFromHash,
  type Counts,
  type Increment,
} from '@app/usage/credential-activity';

/** A bucket hash outlives its window by one bucket, then Redis drops it. */
const BUCKET_TTL_MS = (RECENT_BUCKET_COUNT + 1) * RECENT_BUCKET_SECONDS * 1000;
/** A boot's replay guard lives this long after its last batch. */
const APPLIED_TTL_MS = 24 * 3600 * 1000;

// One script applies a batch atomically. A batch carries (boot, seq): a retry of a batch whose
// reply was lost is recognised and not counted twice. ARGV: base, boot, seq, bucket TTL, then
// (hash, field, amount) triples where hash is `total` or a bucket number.
const ADD_SCRIPT = `
local base = ARGV[1]
local boot = ARGV[2]
if boot ~= '' then
  local applied = base .. 'applied'
  local last = tonumber(redis.call('HGET', applied, boot) or '0')
  if tonumber(ARGV[3]) <= last then return 0 end
  redis.call('HSET', applied, boot, ARGV[3])
  redis.call('PEXPIRE', applied, ${APPLIED_TTL_MS})
end
local ttl = ARGV[4]
local touched = {}
for i = 5, #ARGV, 3 do
  local hash = ARGV[i]
  local key = base .. (hash == 'total' and 'total' or ('b:' .. hash))
  redis.call('HINCRBY', key, ARGV[i + 1], ARGV[i + 2])
  if hash ~= 'total' then touched[key] = true end
end
for key in pairs(touched) do redis.call('PEXPIRE', key, ttl) end
return 1
`;
const ADD_SHA = createHash('sha1').update(ADD_SCRIPT).digest('hex');

/** What Redis holds for a window: totals and per-bucket counts, per credential. */
export interface StoredActivity {
  totals: Map<string, Counts>;
  buckets: Map<number, Map<string, Counts>>;
}

/**
 * Per-credential attempt counters in Redis, shared by every replica. Under
 * `<prefix>{credact}:` (one hash tag, one slot on a Redis Cluster: a batch updates several of them
 * at once): `total` (all-time, field `<authIndex>:s|f`), `b:<bucket>` (one 10-minute
 * bucket, expiring once it leaves the 20-bucket window) and `applied` (replay guard).
 */
@Injectable()
export class CredentialActivityRepository {
  constructor(private readonly redis: RedisService) {}

  private get base(): string {
    return this.redis.key(hashTag('credact'), '');
  }

  /** Call `fn` whenever the command connection (re)connects; returns the unsubscribe function. */
  onReady(fn: () => void): () => void {
    this.redis.command.on('ready', fn);
    return () => {
      this.redis.command.off('ready', fn);
    };
  }

  /** Apply a batch once: a retry with the same boot and sequence number is a no-op. */
  async add(increments: readonly Increment[], boot: string, seq: number): Promise<void> {
    if (increments.length === 0) return;
    const args: (string | number)[] = [this.base, boot, seq, BUCKET_TTL_MS];
    for (const inc of increments) args.push(String(inc.hash), inc.field, inc.amount);
    try {
      // The totals key names the slot for a Redis Cluster client.
      await this.redis.command.evalsha(ADD_SHA, 1, `${this.base}total`, ...args);
    } catch (err) {
      if (!(err as Error).message.includes('NOSCRIPT')) throw err;
      await this.redis.command.eval(ADD_SCRIPT, 1, `${this.base}total`, ...args);
    }
  }

  /** Totals and the counts of `buckets`, in one round trip. */
  async read(buckets: readonly number[]): Promise<StoredActivity> {
    const pipe = this.redis.command.pipeline();
    pipe.hgetall(`${this.base}total`);
    for (const b of buckets) pipe.hgetall(`${this.base}b:${b}`);
    const res = await pipe.exec();
    if (!res) throw new Error('Redis pipeline was discarded');
    const hashes = res.map(([err, value]) => {
      if (err) throw err;
      return (value ?? {}) as Record<string, string>;
    });
    const out: StoredActivity = { totals: countsFromHash(hashes[0]), buckets: new Map() };
    buckets.forEach((b, i) => out.buckets.set(b, countsFromHash(hashes[i + 1])));
    return out;
  }
}
