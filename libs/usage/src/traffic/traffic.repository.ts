import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RedisService } from '@app/storage';
import {
  HOUR_MS,
  DAY_MS,
  hashName,
  type TrafficHash,
  type TrafficTally,
} from '@app/usage/traffic/traffic-tally';
import type { LoadedHash } from '@app/usage/traffic/traffic-series';

/** Minute hashes serve the 1-hour range: kept three hours. */
const MINUTE_TTL_MS = 3 * HOUR_MS;
/** Hour hashes serve up to 30 days: kept a little longer so the oldest day is whole. */
const HOUR_TTL_MS = 33 * DAY_MS;
/** A boot's replay guard lives this long after its last batch. */
const APPLIED_TTL_MS = DAY_MS;
/** Last-use times are forgotten after this long without use (the key or credential is gone). */
const LAST_USED_TTL_MS = 90 * DAY_MS;

// One script applies a batch atomically, once: a retry of a batch whose reply was lost carries
// the same (boot, seq) and is skipped. KEYS: applied, last, then the counter hashes. ARGV: boot,
// seq, the number of last-use pairs, those (field, ms) pairs, one TTL per counter hash, then
// (hash number, field, amount) triples, the hash number counting from 1 over the counter hashes.
const ADD_SCRIPT = `
local boot = ARGV[1]
if boot ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[1], boot) or '0')
  if tonumber(ARGV[2]) <= last then return 0 end
  redis.call('HSET', KEYS[1], boot, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ${APPLIED_TTL_MS})
end
local nlast = tonumber(ARGV[3])
local i = 4
for _ = 1, nlast do
  local prev = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > prev then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
if nlast > 0 then redis.call('PEXPIRE', KEYS[2], ${LAST_USED_TTL_MS}) end
local nhash = #KEYS - 2
local ttl = i
i = i + nhash
while i <= #ARGV do
  redis.call('HINCRBY', KEYS[2 + tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
for h = 1, nhash do redis.call('PEXPIRE', KEYS[2 + h], ARGV[ttl + h - 1]) end
return 1
`;
const ADD_SHA = createHash('sha1').update(ADD_SCRIPT).digest('hex');

/**
 * The panel's traffic counters in Redis (docs/panel.md), shared by every replica. Under
 * `<prefix>{traffic}:` (one hash tag: a batch is one script, so on Redis Cluster every key sits
 * in one slot): `m:<epoch hour>` minute slots, `h:<epoch day>` hour slots, `hk:<epoch day>` per
 * key and model by hour, `last` (last use of keys and credentials) and `applied` (replay guard).
 */
@Injectable()
export class TrafficRepository {
  constructor(private readonly redis: RedisService) {}

  private key(name: string): string {
    return this.redis.key('{traffic}', name);
  }

  /** True while the request-path connection is up (reads are skipped otherwise). */
  get isReady(): boolean {
    return this.redis.isReady;
  }

  /** Call `fn` whenever the command connection (re)connects; returns the unsubscribe function. */
  onReady(fn: () => void): () => void {
    this.redis.command.on('ready', fn);
    return () => {
      this.redis.command.off('ready', fn);
    };
  }

  /** Apply a tally once: a retry with the same boot and sequence number is a no-op. */
  async add(tally: TrafficTally, boot: string, seq: number): Promise<void> {
    if (tally.empty) return;
    const names = [...tally.counts.keys()];
    const keys = [this.key('applied'), this.key('last'), ...names.map((n) => this.key(n))];
    const args: (string | number)[] = [boot, seq, tally.lastUsed.size];
    for (const [f, ms] of tally.lastUsed) args.push(f, ms);
    for (const n of names) args.push(n.startsWith('m:') ? MINUTE_TTL_MS : HOUR_TTL_MS);
    names.forEach((n, i) => {
      for (const [field, amount] of tally.counts.get(n) ?? []) args.push(i + 1, field, amount);
    });
    try {
      await this.redis.command.evalsha(ADD_SHA, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.includes('NOSCRIPT')) throw err;
      await this.redis.command.eval(ADD_SCRIPT, keys.length, ...keys, ...args);
    }
  }

  /** The fields of `hashes`, in one round trip. */
  async read(hashes: readonly TrafficHash[]): Promise<LoadedHash[]> {
    if (hashes.length === 0) return [];
    const pipe = this.redis.command.pipeline();
    for (const h of hashes) pipe.hgetall(this.key(hashName(h)));
    const res = await pipe.exec();
    if (!res) throw new Error('Redis pipeline was discarded');
    return res.map(([err, value], i) => {
      if (err) throw err;
      return { hash: hashes[i], fields: (value ?? {}) as Record<string, string> };
    });
  }

  /** Last-use times (ms) of `fields` (`k:<key id>`, `c:<auth index>`); absent when never used. */
  async lastUsed(fields: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (fields.length === 0) return out;
    const values = await this.redis.command.hmget(this.key('last'), ...fields);
    fields.forEach((f, i) => {
      const ms = Number(values[i]);
      if (ms > 0) out.set(f, ms);
    });
    return out;
  }
}
