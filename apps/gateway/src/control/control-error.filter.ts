import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRedisFailure } from '@app/storage';
import { ManagementError } from '@app/management';
import { ControlError } from '@app/gateway/control/control.errors';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Internal error' : 'Request failed');
}

/**
 * Control API errors as `{"error": <title>, "message": <detail>}` (the dashboard's shape).
 * Shared services throw ManagementError; it is rendered the same way. Anything unexpected is
 * a 500 that leaks nothing but the request id.
 */
@Catch()
export class ControlErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ControlApi');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent) return;
    let status: number;
    let body: Record<string, unknown>;
    if (exception instanceof ControlError) {
      status = exception.status;
      body = exception.toBody();
      for (const [k, v] of Object.entries(exception.headers)) void reply.header(k, v);
    } else if (exception instanceof ManagementError) {
      status = exception.status;
      body = { error: titleOf(status), message: exception.message };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = { error: titleOf(status), message: exception.message };
    } else if (isRedisFailure(exception)) {
      status = 503;
      body = {
        error: 'Redis unavailable',
        message: 'Redis is unreachable; the shared state cannot be read or changed right now',
      };
    } else {
      const req = ctx.getRequest<FastifyRequest>();
      this.logger.error(
        `request ${String(req.id)} failed: ${(exception as Error)?.stack ?? String(exception)}`,
      );
      status = 500;
      body = {
        error: 'Internal error',
        message: 'the request id in x-request-id identifies it in the logs',
      };
    }
    void reply.status(status).send(body);
  }
}
