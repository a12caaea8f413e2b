import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/storage';
import { decodeRequestLog, type RequestLogEntry } from '@app/logs/request-log.entry';
import {
  isEmptyRequestFilter,
  matchesRequestFilter,
  type RequestLogQuery,
} from '@app/logs/request-log.query';

/** Entries read per round trip when scanning. */
const PAGE = 1000;
/** Most entries one filtered query looks at (the stream is capped; this bounds a huge cap). */
const MAX_SCAN = 200_000;

type StreamPage = [id: string, fields: string[]][];

/** The answer of `/proxy/requests`. */
export interface RequestLogPage {
  requests: RequestLogEntry[];
  /** Entries in the log that match the filter (all of them when there is none). */
  filtered_count: number;
  /** Entries in the log. */
  total_count: number;
}

/** Reads the shared request log (writes go through RequestLogRecorder). */
@Injectable()
export class RequestLogRepository {
  constructor(private readonly redis: RedisService) {}

  /** The stream key (`<prefix>logs:requests`). */
  get key(): string {
    return this.redis.key('logs', 'requests');
  }

  /** Newest first, filtered, with the counts of matching and of all entries. */
  async query(q: RequestLogQuery): Promise<RequestLogPage> {
    const total = await this.redis.command.xlen(this.key);
    const requests: RequestLogEntry[] = [];
    if (isEmptyRequestFilter(q)) {
      const page = (await this.redis.command.xrevrange(
        this.key,
        '+',
        '-',
        'COUNT',
        q.limit,
      )) as StreamPage;
      for (const [id, fields] of page) requests.push(decodeRequestLog(id, fields));
      return { requests, filtered_count: total, total_count: total };
    }
    // Counting matches means looking at every entry; pages keep each round trip small.
    let matched = 0;
    let end = '+';
    for (let scanned = 0; scanned < MAX_SCAN;) {
      const page = (await this.redis.command.xrevrange(
        this.key,
        end,
        '-',
        'COUNT',
        PAGE,
      )) as StreamPage;
      for (const [id, fields] of page) {
        const e = decodeRequestLog(id, fields);
        if (!matchesRequestFilter(e, q)) continue;
        matched++;
        if (requests.length < q.limit) requests.push(e);
      }
      scanned += page.length;
      if (page.length < PAGE) break;
      end = `(${page[page.length - 1][0]}`;
    }
    return { requests, filtered_count: matched, total_count: total };
  }
}
