import { Controller, Delete, Get, Query } from '@nestjs/common';
import { managementError } from '@app/common';
import { ManagementRoute } from '@app/management';
import {
  MAX_LOG_LINES,
  ProcessLogRepository,
  formatProcessLog,
  stringParam,
  type QueryParams,
} from '@app/logs';

/** `GET /v0/management/logs`: CLIProxyAPI's shape over the shared process-log stream. */
export interface ManagementLogsPage {
  lines: string[];
  'line-count': number;
  'latest-timestamp': number;
}

const DIGITS = /^\d+$/;

/** Seconds since epoch from the stream id (`<ms>-<seq>`): Redis's clock, the one `after` filters on. */
function idSeconds(id: string): number {
  return Math.floor(Number(id.slice(0, id.indexOf('-'))) / 1000) || 0;
}

/**
 * `/v0/management/logs` (CLIProxyAPI semantics, over every member's lines in Redis): `after`
 * (unix seconds) returns only newer lines, `limit` keeps the last n; `DELETE` clears the log.
 */
@Controller('v0/management/logs')
@ManagementRoute()
export class ManagementLogsController {
  constructor(private readonly logs: ProcessLogRepository) {}

  @Get()
  async list(@Query() query: QueryParams): Promise<ManagementLogsPage> {
    const afterRaw = stringParam(query, 'after')?.trim();
    const after = afterRaw && DIGITS.test(afterRaw) ? Number(afterRaw) : 0;
    const limitRaw = stringParam(query, 'limit')?.trim();
    let limit = MAX_LOG_LINES;
    if (limitRaw !== undefined) {
      const n = Number(limitRaw);
      if (!DIGITS.test(limitRaw))
        throw managementError(400, 'invalid limit: must be a positive integer');
      if (n <= 0) throw managementError(400, 'invalid limit: must be greater than zero');
      limit = Math.min(n, MAX_LOG_LINES);
    }
    const [entries, total] = await Promise.all([
      this.logs.since(after > 0 ? (after + 1) * 1000 : 0, limit),
      this.logs.length(),
    ]);
    let latest = after;
    for (const e of entries) latest = Math.max(latest, idSeconds(e.id));
    return {
      lines: entries.map(formatProcessLog),
      'line-count': total,
      'latest-timestamp': latest,
    };
  }

  @Delete()
  async clear(): Promise<{ success: true; message: string; removed: number }> {
    const removed = await this.logs.clear();
    return { success: true, message: 'Logs cleared successfully', removed };
  }
}
