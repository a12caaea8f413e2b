import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { hashTag, RedisService } from '@app/storage';
import { HASH_LEN, decodeMember, pairId, type UsageEntry } from '@app/usage/usage-entry';
import { sumLiveBatch, type LiveBatch } from '@app/usage/usage-batch';
import type {
  AggregateHashes,
  DayCells,
  DetailLists,
  RawHash,
  UsagePair,
} from '@app/usage/usage-snapshot';
import { pairKey } from '@app/usage/usage-snapshot';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';

/** How a batch is applied. */
export interface ApplyOptions {
  /** Live batches: this process boot's id and the batch's sequence number (replays are skipped). */
  boot?: string;
  seq?: number;
  /** Imports: skip entries already stored (dedupe set and retained details). */
  dedupe: boolean;
  /** Details kept per (api, model). */
  keep: number;
  /** Details older than this epoch-ms score are trimmed. */
  minScore: number;
}

/** What a batch did. */
export interface ApplyResult {
  added: number;
  skipped: number;
  /** The batch had been applied before (its reply was lost): nothing was counted again. */
  replayed: boolean;
}

/** Fields per entry in the script's ARGV. */
const ENTRY_ARGS = 10;
/** A boot's replay guard lives this long after its last batch. */
const APPLIED_TTL_MS = 7 * 24 * 3600 * 1000;

// One script applies a whole batch atomically, so N replicas never lose or double count:
// HINCRBY is additive, a live batch carries (boot, seq) so a retry of a batch whose reply was
// lost is recognised, and imports check the dedupe set and the retained details first.
// ARGV[1..3] are the same in both scripts: the key base, then the boot and batch number.
const REPLAY_GUARD = `
local base = ARGV[1]
local boot = ARGV[2]
if boot ~= '' then
  local applied = base .. 'applied'
  local seq = tonumber(ARGV[3])
  local last = tonumber(redis.call('HGET', applied, boot) or '0')
  if seq <= last then return {-1, 0} end
  redis.call('HSET', applied, boot, ARGV[3])
  redis.call('PEXPIRE', applied, ${APPLIED_TTL_MS})
end
`;

// Entry by entry: imports, whose entries are each skipped when already stored.
const APPLY_SCRIPT = `${REPLAY_GUARD}
local dedupe = ARGV[4] == '1'
local keep = tonumber(ARGV[5])
local minScore = ARGV[6]
local S = '\\31'
local totals, apis, models = base .. 'totals', base .. 'api', base .. 'model'
local days, hours, seen = base .. 'day', base .. 'hour', base .. 'seen'
local added, skipped = 0, 0
local touched = {}
for i = 7, #ARGV, ${ENTRY_ARGS} do
  local h, score, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local api, model, pair = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local day, hour, tokens, failed = ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9] == '1'
  local det = base .. 'det:' .. pair
  local fresh = true
  if dedupe then
    if redis.call('SISMEMBER', seen, h) == 1 then
      fresh = false
    else
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', det, score, score)) do
        if string.sub(m, 1, ${HASH_LEN}) == h then
          fresh = false
          break
        end
      end
    end
  end
  if fresh then
    added = added + 1
    if dedupe then redis.call('SADD', seen, h) end
    redis.call('HINCRBY', totals, 'requests', 1)
    redis.call('HINCRBY', totals, failed and 'failure' or 'success', 1)
    redis.call('HINCRBY', totals, 'tokens', tokens)
    redis.call('HINCRBY', apis, api .. S .. 'r', 1)
    redis.call('HINCRBY', apis, api .. S .. 't', tokens)
    local am = api .. S .. model .. S
    redis.call('HINCRBY', models, am .. 'r', 1)
    redis.call('HINCRBY', models, am .. 't', tokens)
    redis.call('HINCRBY', days, day .. S .. 'r', 1)
    redis.call('HINCRBY', days, day .. S .. 't', tokens)
    local dh = day .. 'T' .. hour .. S
    redis.call('HINCRBY', hours, dh .. 'r', 1)
    redis.call('HINCRBY', hours, dh .. 't', tokens)
    local cell = base .. 'cell:' .. day
    local c = hour .. S .. am
    redis.call('HINCRBY', cell, c .. 'r', 1)
    if failed then redis.call('HINCRBY', cell, c .. 'f', 1) end
    redis.call('HINCRBY', cell, c .. 't', tokens)
    redis.call('ZADD', det, score, member)
    touched[det] = true
  else
    skipped = skipped + 1
  end
end
for det in pairs(touched) do
  redis.call('ZREMRANGEBYSCORE', det, '-inf', '(' .. minScore)
  redis.call('ZREMRANGEBYRANK', det, 0, -(keep + 1))
end
return {added, skipped}
`;

// Live batches (nothing to skip), summed in JS per hash field (see sumLiveBatch): ARGV[4] keep,
// [5] minScore, [6] entries, [7] hashes; then per hash its key suffix, field count and
// field/amount pairs; then per detail group its pair id, member count and score/member pairs.
// A few dozen HINCRBYs per batch instead of 17 per entry.
const LIVE_SCRIPT = `${REPLAY_GUARD}
local keep = tonumber(ARGV[4])
local minScore = ARGV[5]
local argc = #ARGV
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  local key = base .. ARGV[i]
  local last = i + 1 + 2 * tonumber(ARGV[i + 1])
  for j = i + 2, last, 2 do
    redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1])
  end
  i = last + 1
end
local touched = {}
while i <= argc do
  local det = base .. 'det:' .. ARGV[i]
  local last = i + 1 + 2 * tonumber(ARGV[i + 1])
  redis.call('ZADD', det, unpack(ARGV, i + 2, last))
  touched[det] = true
  i = last + 1
end
for det in pairs(touched) do
  redis.call('ZREMRANGEBYSCORE', det, '-inf', '(' .. minScore)
  redis.call('ZREMRANGEBYRANK', det, 0, -(keep + 1))
end
return {tonumber(ARGV[6]), 0}
`;

const APPLY_SHA = createHash('sha1').update(APPLY_SCRIPT).digest('hex');
const LIVE_SHA = createHash('sha1').update(LIVE_SCRIPT).digest('hex');

type PipelineResult = [Error | null, unknown][] | null;

function results(res: PipelineResult): unknown[] {
  if (!res) throw new Error('Redis pipeline was discarded');
  return res.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/**
 * Usage statistics in Redis (docs/usage.md). Under `<prefix>{usage}:` (one hash tag: a batch
 * updates them all in one script, so on a Redis Cluster they share a slot):
 * `totals` (requests, success, failure, tokens), `api` and `model` (per key, per key and model),
 * `day` and `hour` (per date, per date-hour), `cell:<day>` (per hour, key and model: what time
 * ranges are narrowed with), `det:<pair>` (retained details, scored by time), `seen` (hashes of
 * imported details) and `applied` (replay guard of live batches).
 */
@Injectable()
export class UsageRepository {
  constructor(private readonly redis: RedisService) {}

  /** True when the command connection is up. */
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

  /**
   * Call `fn` when the connection comes back after a loss, or a Redis Cluster node leaves: a
   * failover may have lost the writes its old primary answered last (replication is
   * asynchronous). Returns the unsubscribe function.
   */
  onReconnect(fn: () => void): () => void {
    return this.redis.onReconnect(fn);
  }

  private get base(): string {
    return this.redis.key(hashTag('usage'), '');
  }

  /**
   * Apply a batch of entries in one atomic script: summed per hash field for live batches,
   * entry by entry for imports (`dedupe`), which skip what is already stored.
   */
  async apply(entries: readonly UsageEntry[], opts: ApplyOptions): Promise<ApplyResult> {
    const [added, skipped] = (
      opts.dedupe
        ? await this.evalScript(APPLY_SHA, APPLY_SCRIPT, this.entryArgs(entries, opts))
        : await this.evalScript(LIVE_SHA, LIVE_SCRIPT, this.liveArgs(sumLiveBatch(entries), opts))
    ) as [number, number];
    if (added === -1) return { added: 0, skipped: 0, replayed: true };
    return { added, skipped, replayed: false };
  }

  private entryArgs(entries: readonly UsageEntry[], opts: ApplyOptions): (string | number)[] {
    const args: (string | number)[] = new Array<string | number>(6 + entries.length * ENTRY_ARGS);
    args[0] = this.base;
    args[1] = opts.boot ?? '';
    args[2] = opts.seq ?? 0;
    args[3] = opts.dedupe ? '1' : '0';
    args[4] = opts.keep;
    args[5] = Math.floor(opts.minScore);
    let i = 6;
    for (const e of entries) {
      args[i++] = e.hash;
      args[i++] = e.score;
      args[i++] = e.member;
      args[i++] = e.api;
      args[i++] = e.model;
      args[i++] = e.pair;
      args[i++] = e.day;
      args[i++] = e.hour;
      args[i++] = e.totalTokens;
      args[i++] = e.failed ? '1' : '0';
    }
    return args;
  }

  private liveArgs(batch: LiveBatch, opts: ApplyOptions): (string | number)[] {
    const args: (string | number)[] = [
      this.base,
      opts.boot ?? '',
      opts.seq ?? 0,
      opts.keep,
      Math.floor(opts.minScore),
      batch.entries,
      batch.hashes.length,
    ];
    for (const h of batch.hashes) {
      args.push(h.key, h.fields.length);
      for (let j = 0; j < h.fields.length; j++) args.push(h.fields[j], h.amounts[j]);
    }
    for (const d of batch.details) {
      args.push(d.pair, d.scored.length / 2);
      for (const v of d.scored) args.push(v);
    }
    return args;
  }

  private async evalScript(
    sha: string,
    script: string,
    args: (string | number)[],
  ): Promise<unknown> {
    try {
      // The totals key names the slot (the script builds the others from the same base), so a
      // Redis Cluster client sends it to the node that holds them.
      return await this.redis.command.evalsha(sha, 1, this.base + 'totals', ...args);
    } catch (err) {
      // NOSCRIPT: nothing ran (first call, Redis restarted, or a failover to a replica that
      // never saw the script); send the script itself.
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return this.redis.command.eval(script, 1, this.base + 'totals', ...args);
    }
  }

  /** The aggregate hashes of the whole history. */
  async readAggregates(): Promise<AggregateHashes> {
    const b = this.base;
    const [totals, api, model, day, hour] = results(
      await this.redis.command
        .pipeline()
        .hgetall(b + 'totals')
        .hgetall(b + 'api')
        .hgetall(b + 'model')
        .hgetall(b + 'day')
        .hgetall(b + 'hour')
        .exec(),
    ) as RawHash[];
    return { totals, api, model, day, hour };
  }

  /** The per-model aggregate hash (names every pair) and the per-day one (names every day). */
  async readIndex(): Promise<{ model: RawHash; day: RawHash }> {
    const b = this.base;
    const [model, day] = results(
      await this.redis.command
        .pipeline()
        .hgetall(b + 'model')
        .hgetall(b + 'day')
        .exec(),
    ) as RawHash[];
    return { model, day };
  }

  /** Totals only (requests, success, failure, tokens). */
  async readTotals(): Promise<RawHash> {
    return this.redis.command.hgetall(this.base + 'totals');
  }

  /** The fine-grained cells of some days. */
  async readCells(days: readonly string[]): Promise<DayCells[]> {
    if (days.length === 0) return [];
    const p = this.redis.command.pipeline();
    for (const d of days) p.hgetall(`${this.base}cell:${d}`);
    const out = results(await p.exec()) as RawHash[];
    return days.map((day, i) => ({ day, fields: out[i] }));
  }

  /** Retained details of some pairs between two epoch-ms scores (inclusive), newest `limit`. */
  async readDetails(
    pairs: readonly UsagePair[],
    minScore: number,
    maxScore: number,
    limit: number,
  ): Promise<DetailLists> {
    const lists = new Map<string, UsageDetail[]>();
    if (pairs.length === 0) return lists;
    const p = this.redis.command.pipeline();
    const max = Number.isFinite(maxScore) ? String(Math.floor(maxScore)) : '+inf';
    for (const { api, model } of pairs) {
      p.zrangebyscore(`${this.base}det:${pairId(api, model)}`, Math.ceil(minScore), max);
    }
    const out = results(await p.exec()) as string[][];
    pairs.forEach(({ api, model }, i) => {
      const members = out[i];
      const from = Math.max(0, members.length - limit);
      const details: UsageDetail[] = [];
      for (let j = from; j < members.length; j++) {
        const d = decodeMember(members[j]);
        if (d) details.push(d);
      }
      lists.set(pairKey(api, model), details);
    });
    return lists;
  }

  /** Trim the details of some pairs by age and count (aggregates are untouched). */
  async trimDetails(pairs: readonly UsagePair[], minScore: number, keep: number): Promise<void> {
    if (pairs.length === 0) return;
    const p = this.redis.command.pipeline();
    for (const { api, model } of pairs) {
      const key = `${this.base}det:${pairId(api, model)}`;
      p.zremrangebyscore(key, '-inf', `(${Math.floor(minScore)}`);
      p.zremrangebyrank(key, 0, -(keep + 1));
    }
    results(await p.exec());
  }
}
