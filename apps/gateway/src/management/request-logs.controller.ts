import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { managementError } from '@app/common';
import { ConfigService } from '@app/config';
import {
  ErrorLogRepository,
  RequestDetailRepository,
  errorLogTime,
  type ErrorLogFile,
} from '@app/logs';
import { ManagementRoute } from '@app/management';

/**
 * The rest of the path, taken whole: unlike a `:param` (which the router caps at 100 characters
 * with a 414), an overlong name or one with a slash in it reaches validation and gets a 400.
 */
const WHOLE_REST = '*';

/** Serve a stored log as a text download. */
function attachment(reply: FastifyReply, name: string, text: string): string {
  // Names are validated or built from a tame alphabet, so they need no quoting beyond this.
  void reply
    .header('content-type', 'text/plain; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store');
  return text;
}

/**
 * `/v0/management/request-error-logs[/:name]` and `/request-log-by-id/:id` (CLIProxyAPI
 * semantics over the logs in Redis, so every replica answers alike). Error logs are written
 * only while `request-log` is off, and the list is empty while it is on, as in CLIProxyAPI.
 */
@Controller('v0/management')
@ManagementRoute()
export class RequestLogsController {
  constructor(
    private readonly config: ConfigService,
    private readonly errorLogs: ErrorLogRepository,
    private readonly details: RequestDetailRepository,
  ) {}

  /** `{"files":[{name,size,modified}]}`, newest first. */
  @Get('request-error-logs')
  async list(): Promise<{ files: ErrorLogFile[] }> {
    if (this.config.current['request-log']) return { files: [] };
    const files = await this.errorLogs.list();
    // Replicas append concurrently: order by the time in the name (ms), not by arrival.
    const time = (f: ErrorLogFile) => errorLogTime(f.name) ?? f.modified * 1000;
    files.sort((a, b) => time(b) - time(a));
    return { files };
  }

  /** One error log as a text download; 400 for a name no error log can have. */
  @Get(`request-error-logs/${WHOLE_REST}`)
  async download(
    @Param(WHOLE_REST) name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!ErrorLogRepository.isValidName(name)) {
      throw managementError(400, 'invalid log file name');
    }
    const text = await this.errorLogs.get(name);
    if (text === undefined) throw managementError(404, 'log file not found');
    return attachment(reply, name, text);
  }

  /** The full log of one request (`request-log: true`) by its `x-request-id`, as a download. */
  @Get(`request-log-by-id/${WHOLE_REST}`)
  async byId(
    @Param(WHOLE_REST) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const trimmed = id.trim();
    if (!trimmed) throw managementError(400, 'missing request ID');
    if (!RequestDetailRepository.isValidId(trimmed)) {
      throw managementError(400, 'invalid request ID');
    }
    const found = await this.details.get(trimmed);
    if (!found) throw managementError(404, 'log file not found for the given request ID');
    return attachment(reply, found.name, found.text);
  }
}
