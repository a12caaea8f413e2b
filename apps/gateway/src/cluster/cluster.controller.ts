import { Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  CONNECTED_COMMENT,
  CONNECTED_EVENT,
  ClusterService,
  type MemberAction,
  type MemberDetail,
  type MemberView,
} from '@app/cluster';
import { ConfigService } from '@app/config';
import {
  LiveLogsService,
  LogTail,
  ProcessLogRepository,
  RequestLogRepository,
  matchesLogFilter,
  matchesRequestFilter,
  parseLogFilter,
  parseLogQuery,
  parseRequestFilter,
  parseRequestQuery,
  processLogView,
  type ProcessLogView,
  type QueryParams,
  type RequestLogPage,
} from '@app/logs';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { ClusterAuthGuard } from '@app/gateway/cluster/cluster-auth.guard';
import { ClusterSseService } from '@app/gateway/cluster/cluster-sse.service';

/**
 * The cluster API `/api/v1/*` (docs/cluster.md): the supervisor view of every gateway replica
 * and worker, their commands, and the shared process and request logs (also live, as SSE).
 */
@Controller('api/v1')
@UseGuards(ClusterAuthGuard)
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    private readonly lifecycle: LifecycleService,
    private readonly config: ConfigService,
    private readonly processLogs: ProcessLogRepository,
    private readonly requests: RequestLogRepository,
    private readonly live: LiveLogsService,
    private readonly sse: ClusterSseService,
  ) {}

  /** This replica's view of the deployment. */
  @Get('status')
  async status(): Promise<Record<string, unknown>> {
    const stopping = await this.cluster.shuttingDown(this.lifecycle.draining);
    return {
      status: stopping ? 'stopping' : 'running',
      uptime_seconds: Math.floor(this.lifecycle.uptimeSeconds()),
      config_file: this.config.path,
      api_version: 'v1',
    };
  }

  /** Every gateway replica and worker registered in Redis. */
  @Get('processes')
  async processes(): Promise<{ processes: MemberView[] }> {
    return { processes: await this.cluster.processes() };
  }

  /** One member with its health report and (redacted) environment. */
  @Get('processes/:name')
  async process(@Param('name') name: string): Promise<MemberDetail> {
    return this.cluster.process(name);
  }

  @Post('processes/:name/start')
  @HttpCode(200)
  async start(@Param('name') name: string): Promise<{ success: true }> {
    return this.command(name, 'start');
  }

  @Post('processes/:name/stop')
  @HttpCode(200)
  async stop(@Param('name') name: string): Promise<{ success: true }> {
    return this.command(name, 'stop');
  }

  @Post('processes/:name/restart')
  @HttpCode(200)
  async restart(@Param('name') name: string): Promise<{ success: true }> {
    return this.command(name, 'restart');
  }

  /** Gracefully stop every member of the cluster (this replica included). */
  @Post('shutdown')
  @HttpCode(200)
  async shutdown(): Promise<{ success: true }> {
    await this.cluster.shutdown(this.lifecycle.draining);
    return { success: true };
  }

  /**
   * The last lines of every member's log (oldest first), filtered; `lines` or `bytes`,
   * whichever hits first. `filtered_count` is how many are returned, `total_count` how many the
   * shared log holds.
   */
  @Get('logs')
  async logs(@Query() query: QueryParams): Promise<{
    logs: ProcessLogView[];
    filtered_count: number;
    total_count: number;
    truncated: boolean;
  }> {
    const q = parseLogQuery(query);
    const tail = new LogTail(q);
    const [total] = await Promise.all([
      this.processLogs.length(),
      this.processLogs.scanNewestFirst((e) => tail.offer(e)),
    ]);
    const logs = tail.lines().map(processLogView);
    return {
      logs,
      filtered_count: logs.length,
      total_count: Math.max(total, logs.length),
      truncated: tail.truncated,
    };
  }

  /** New log lines from every member as SSE (plain `data:` frames), filtered here. */
  @Get('logs/stream')
  async logsStream(@Query() query: QueryParams, @Res() reply: FastifyReply): Promise<void> {
    const filter = parseLogFilter(query);
    await this.sse.open(
      reply,
      'process',
      this.live.processLogs,
      (e) => (matchesLogFilter(e, filter) ? processLogView(e) : undefined),
      CONNECTED_COMMENT,
    );
  }

  /** The shared request log, newest first across replicas, filtered. */
  @Get('proxy/requests')
  async proxyRequests(@Query() query: QueryParams): Promise<RequestLogPage> {
    return this.requests.query(parseRequestQuery(query));
  }

  /**
   * New request-log entries from every replica as SSE: `event: connected` first, then plain
   * `data:` frames, filtered here.
   */
  @Get('proxy/requests/stream')
  async proxyRequestsStream(
    @Query() query: QueryParams,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const filter = parseRequestFilter(query);
    await this.sse.open(
      reply,
      'requests',
      this.live.requests,
      (e) => (matchesRequestFilter(e, filter) ? e : undefined),
      CONNECTED_EVENT,
    );
  }

  private async command(name: string, action: MemberAction): Promise<{ success: true }> {
    await this.cluster.command(name, action, this.lifecycle.draining);
    return { success: true };
  }
}
