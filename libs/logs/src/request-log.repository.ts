import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/storage';
import { decodeRequestLog, type RequestLogEntry } from '@app/logs/request-log.entry';
import { matchesRequestFilter, type RequestLogQuery } from '@app/logs/request-log.query';

/** Entries read per round trip when scanning. */
const PAGE = 500;
/** Most entries one query looks at (the stream is capped; this bounds a huge cap). */
const MAX_SCAN = 200_000;
/**
 * How much later than a request's finish its entry may reach the stream: replicas write in
 * batches, and clocks of replicas on different hosts differ a little. Entries buffered through a
 * Redis outage arrive later still; they are placed by time too when they fall within the scan.
 */
const WRITE_LAG_MS = 5000;

type StreamPage = [id: string, fields: string[]][];

/** The answer of `/proxy/requests`. */
export interface RequestLogPage {
  requests: RequestLogEntry[];
  /** Entries returned (those that passed the filter, up to `limit`). */
  filtered_count: number;
  /** Entries in the log. */
  total_count: number;
}

/** A stream id's time part (ms, the Redis server clock when the entry was appended). */
function idMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Finish time of an entry in ms (the id's time when the timestamp is unreadable). */
function entryMs(e: RequestLogEntry): number {
  const ms = Date.parse(e.timestamp);
  return Number.isNaN(ms) ? idMs(e.id) : ms;
}

/** Stream ids in order: by time, then by sequence (`<ms>-<seq>`; "9" < "10" as numbers). */
function compareIds(x: string, y: string): number {
  const dx = x.indexOf('-');
  const dy = y.indexOf('-');
  const ms = Number(x.slice(0, dx)) - Number(y.slice(0, dy));
  return ms !== 0 ? ms : Number(x.slice(dx + 1)) - Number(y.slice(dy + 1));
}

/** Newest first: by finish time, then by the nanosecond digits of the timestamp, then by id. */
function newestFirst(a: [number, RequestLogEntry], b: [number, RequestLogEntry]): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  if (a[1].timestamp !== b[1].timestamp) return a[1].timestamp < b[1].timestamp ? 1 : -1;
  return compareIds(b[1].id, a[1].id);
}

/** Reads the shared request log (writes go through RequestLogRecorder). */
@Injectable()
export class RequestLogRepository {
  constructor(private readonly redis: RedisService) {}

  /** The stream key (`<prefix>logs:requests`). */
  get key(): string {
    return this.redis.key('logs', 'requests');
  }

  /**
   * The newest matching entries by the time each request finished, across every replica. The
   * stream is in write order, which replicas' batching makes differ from finish order, so the
   * scan reads on (newest first) until no older write can hold a request newer than the last one
   * picked, then sorts.
   */
  async query(q: RequestLogQuery): Promise<RequestLogPage> {
    let picked: [number, RequestLogEntry][] = [];
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
        if (matchesRequestFilter(e, q)) picked.push([entryMs(e), e]);
      }
      scanned += page.length;
      if (page.length < PAGE) break;
      if (picked.length >= q.limit) {
        // Keep only the candidates that can still make the cut.
        picked = picked.sort(newestFirst).slice(0, q.limit);
        // Entries written at or before this page's oldest write finished no later than that
        // (plus the allowed lag): once that is older than the cut, nothing further can enter.
        if (idMs(page[page.length - 1][0]) + WRITE_LAG_MS < picked[q.limit - 1][0]) break;
      }
      end = `(${page[page.length - 1][0]}`;
    }
    const requests = picked
      .sort(newestFirst)
      .slice(0, q.limit)
      .map(([, e]) => e);
    // Counted after the scan: entries written meanwhile are in the page, so they are in the
    // total too (a total read first could be smaller than the page it describes).
    const total = await this.redis.command.xlen(this.key);
    return {
      requests,
      filtered_count: requests.length,
      total_count: Math.max(total, requests.length),
    };
  }
}
