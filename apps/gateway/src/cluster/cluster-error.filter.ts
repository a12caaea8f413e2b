import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRedisFailure } from '@app/storage';
import { ClusterApiError } from '@app/cluster';
import { LogQueryError } from '@app/logs';

/** Cluster API errors as `{"error": message, "code": CODE}` (docs/cluster.md). */
@Catch()
export class ClusterErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ClusterApi');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent) return;
    let status: number;
    let body: { error: string; code: string };
    if (exception instanceof ClusterApiError) {
      status = exception.status;
      body = exception.toBody();
    } else if (exception instanceof LogQueryError) {
      status = 400;
      body = { error: exception.message, code: exception.code };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = { error: exception.message, code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST' };
    } else if (isRedisFailure(exception)) {
      status = 503;
      body = {
        error: 'Redis is unreachable; the cluster state cannot be read',
        code: 'REDIS_UNAVAILABLE',
      };
    } else {
      const req = ctx.getRequest<FastifyRequest>();
      this.logger.error(
        `request ${String(req.id)} failed: ${(exception as Error)?.stack ?? String(exception)}`,
      );
      status = 500;
      body = {
        error: 'Internal error; the request id in x-request-id identifies it in the logs',
        code: 'INTERNAL',
      };
    }
    void reply.status(status).send(body);
  }
}
