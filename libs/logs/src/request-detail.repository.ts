import { Injectable } from '@nestjs/common';
import { hashTag, RedisService } from '@app/storage';
import { requestLogName } from '@app/logs/error-log.format';

/**
 * Most full request logs kept. Each holds up to four bodies of 64 KiB, so this bounds Redis
 * memory at roughly 130 MB even for large agent prompts; typical logs are a few KiB.
 */
export const REQUEST_DETAIL_MAX_ENTRIES = 500;
/** How long a full request log is kept (seconds). */
export const REQUEST_DETAIL_TTL_SECONDS = 24 * 60 * 60;

/** One full request log to store. */
export interface RequestDetail {
  /** The gateway's request id (`x-request-id`). */
  id: string;
  /** When the request arrived (ms since epoch): the index order and the download name. */
  at: number;
  /** The formatted log. */
  text: string;
}

/** A stored request log, as the download route serves it. */
export interface StoredRequestDetail {
  /** Download name (`request-<time>-<id>.log`). */
  name: string;
  text: string;
}

// Store each log under its own key with a TTL and index it by time; then drop from the index
// (and delete) what is past the TTL or past the cap, oldest first. One script, so replicas
// writing at once never exceed the cap or leave unindexed text behind.
//   KEYS[1] index (sorted set)   ARGV: prefix, max, ttl seconds, now ms, then (id, at, text)…
const ADD_SCRIPT = `
local prefix = ARGV[1]
local max = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 5, #ARGV, 3 do
  redis.call('SET', prefix .. ARGV[i], ARGV[i + 2], 'EX', ttl)
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[4]) - ttl * 1000)
local extra = redis.call('ZCARD', KEYS[1]) - max
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
  for _, id in ipairs(old) do redis.call('DEL', prefix .. id) end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
else
  extra = 0
end
redis.call('EXPIRE', KEYS[1], ttl)
return extra
`;

/** Request ids as the gateway accepts them from clients or makes them (uuid). */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Full request logs (`request-log: true`) in Redis, by request id, bounded by count and age so
 * any replica can answer `/request-log-by-id/:id` and memory stays capped. The index and the
 * logs share a hash tag (`<prefix>logs:{details}`): one script adds and evicts them together.
 */
@Injectable()
export class RequestDetailRepository {
  constructor(private readonly redis: RedisService) {}

  private get indexKey(): string {
    return this.redis.key('logs', hashTag('details'));
  }

  private get contentPrefix(): string {
    return this.redis.key('logs', hashTag('details'), '');
  }

  /** True for ids the gateway could have given a request (anything else is a bad request). */
  static isValidId(id: string): boolean {
    return VALID_ID.test(id);
  }

  /** Store a batch of logs in one round trip; returns how many older logs were evicted. */
  async addMany(
    details: readonly RequestDetail[],
    maxEntries = REQUEST_DETAIL_MAX_ENTRIES,
    ttlSeconds = REQUEST_DETAIL_TTL_SECONDS,
  ): Promise<number> {
    if (details.length === 0) return 0;
    const args: (string | number)[] = [
      this.contentPrefix,
      Math.max(1, Math.floor(maxEntries)),
      Math.max(1, Math.floor(ttlSeconds)),
      Date.now(),
    ];
    for (const d of details) args.push(d.id, d.at, d.text);
    const evicted = await this.redis.command.eval(ADD_SCRIPT, 1, this.indexKey, ...args);
    return Number(evicted) || 0;
  }

  /** The log of one request, or undefined when unknown, expired or evicted. */
  async get(id: string): Promise<StoredRequestDetail | undefined> {
    if (!RequestDetailRepository.isValidId(id)) return undefined;
    const res = await this.redis.command
      .pipeline()
      .get(this.contentPrefix + id)
      .zscore(this.indexKey, id)
      .exec();
    const text = res?.[0]?.[1];
    if (typeof text !== 'string') return undefined;
    // The index entry may already be trimmed while the text lives on until its TTL.
    const at = Number(res?.[1]?.[1]);
    return { name: requestLogName(id, new Date(at > 0 ? at : Date.now())), text };
  }
}
