import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/storage';
import { decodeProcessLog, type ProcessLogEntry } from '@app/logs/process-log.entry';

/** Lines kept in the cluster's process-log stream (`XADD MAXLEN ~`). */
export const PROCESS_LOG_MAX_LINES = 20_000;

/** Entries read per round trip when scanning. */
const PAGE = 1000;

type StreamPage = [id: string, fields: string[]][];

/** Reads and clears the cluster's process-log stream (writes go through ProcessLogStore). */
@Injectable()
export class ProcessLogRepository {
  constructor(private readonly redis: RedisService) {}

  /** The stream key (`<prefix>logs:process`). */
  get key(): string {
    return this.redis.key('logs', 'process');
  }

  /**
   * Visit entries newest first until `visit` returns false or the stream ends, at most
   * `maxScan` entries (the stream is capped, so this bounds the work of one query).
   */
  async scanNewestFirst(
    visit: (e: ProcessLogEntry) => boolean,
    maxScan = PROCESS_LOG_MAX_LINES * 2,
  ): Promise<void> {
    let end = '+';
    let scanned = 0;
    while (scanned < maxScan) {
      const page = (await this.redis.command.xrevrange(
        this.key,
        end,
        '-',
        'COUNT',
        Math.min(PAGE, maxScan - scanned),
      )) as StreamPage;
      for (const [id, fields] of page) {
        scanned++;
        if (!visit(decodeProcessLog(id, fields))) return;
      }
      if (page.length < PAGE) return;
      end = `(${page[page.length - 1][0]}`;
    }
  }

  /** The last `limit` entries logged at or after `fromMs`, oldest first. */
  async since(fromMs: number, limit: number): Promise<ProcessLogEntry[]> {
    const start = fromMs > 0 ? String(Math.floor(fromMs)) : '-';
    const page = (await this.redis.command.xrevrange(
      this.key,
      '+',
      start,
      'COUNT',
      limit,
    )) as StreamPage;
    const out = page.map(([id, fields]) => decodeProcessLog(id, fields));
    return out.reverse();
  }

  /** Lines in the stream. */
  async length(): Promise<number> {
    return this.redis.command.xlen(this.key);
  }

  /** Delete every line; returns how many there were. */
  async clear(): Promise<number> {
    const res = await this.redis.command.multi().xlen(this.key).del(this.key).exec();
    const first = res?.[0];
    return first && !first[0] ? Number(first[1]) : 0;
  }
}
