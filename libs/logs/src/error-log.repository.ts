import { Injectable } from '@nestjs/common';
import { hashTag, RedisService } from '@app/storage';
import { errorLogTime } from '@app/logs/error-log.format';

/** One error log as listed (CLIProxyAPI's `{name, size, modified}`, modified in unix seconds). */
export interface ErrorLogFile {
  name: string;
  size: number;
  modified: number;
}

// Store the text, put the name at the head of the list, and delete what falls off the end, in
// one step so concurrent replicas never leave an orphan or exceed the cap.
const ADD_SCRIPT = `
redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[1], ARGV[1])
local max = tonumber(ARGV[3])
local evicted = 0
if max > 0 then
  local old = redis.call('LRANGE', KEYS[1], max, -1)
  for _, n in ipairs(old) do redis.call('DEL', ARGV[4] .. n) end
  evicted = #old
  redis.call('LTRIM', KEYS[1], 0, max - 1)
end
return evicted
`;

/** Valid error-log names: what `errorLogName` produces, nothing that could escape a key space. */
const VALID_NAME = /^error-[A-Za-z0-9._-]{1,200}\.log$/;

/**
 * Error logs in Redis: one key per log plus a newest-first list of names (docs/usage.md). The
 * list and the logs share a hash tag (`<prefix>logs:{errors}`): adding one evicts others in the
 * same script, so on a Redis Cluster they live in one slot.
 */
@Injectable()
export class ErrorLogRepository {
  constructor(private readonly redis: RedisService) {}

  private get listKey(): string {
    return this.redis.key('logs', hashTag('errors'));
  }

  private get contentPrefix(): string {
    return this.redis.key('logs', hashTag('errors'), '');
  }

  /** True for names this store could hold (download routes validate with it). */
  static isValidName(name: string): boolean {
    return VALID_NAME.test(name) && !name.includes('..');
  }

  /** Store a log, keeping at most `maxFiles` (0 keeps every log); returns how many were evicted. */
  async add(name: string, text: string, maxFiles: number): Promise<number> {
    const evicted = await this.redis.command.eval(
      ADD_SCRIPT,
      1,
      this.listKey,
      name,
      text,
      String(Math.max(0, Math.floor(maxFiles))),
      this.contentPrefix,
    );
    return Number(evicted) || 0;
  }

  /** Every log, newest first. */
  async list(): Promise<ErrorLogFile[]> {
    const names = await this.redis.command.lrange(this.listKey, 0, -1);
    if (names.length === 0) return [];
    const pipeline = this.redis.command.pipeline();
    for (const n of names) pipeline.strlen(this.contentPrefix + n);
    const sizes = (await pipeline.exec()) ?? [];
    return names.map((name, i) => ({
      name,
      size: Number(sizes[i]?.[1]) || 0,
      modified: Math.floor((errorLogTime(name) ?? 0) / 1000),
    }));
  }

  /** The text of one log, or undefined. */
  async get(name: string): Promise<string | undefined> {
    if (!ErrorLogRepository.isValidName(name)) return undefined;
    const text = await this.redis.command.get(this.contentPrefix + name);
    return text ?? undefined;
  }
}
