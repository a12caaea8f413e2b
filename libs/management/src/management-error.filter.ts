import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderError } from '@app/common';
import { ManagementDisabledError, ManagementError } from '@app/management/management.errors';

/** Status and message of any error thrown on a management route. */
function describe(e: unknown): { status: number; message: string } | undefined {
  if (e instanceof ManagementError) return { status: e.status, message: e.message };
  if (e instanceof HttpException) {
    const res = e.getResponse();
    let message = e.message;
    if (typeof res === 'object' && res !== null && 'message' in res) {
      const m = res.message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    return { status: e.getStatus(), message };
  }
  return undefined;
}

/**
 * Renders management errors as CLIProxyAPI does: `{"error": "<message>"}`. A disabled management
 * API answers exactly like an unknown route; anything unexpected is a 500 that leaks nothing.
 */
@Catch()
export class ManagementErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Management');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    if (reply.sent) return;
    if (exception instanceof ManagementDisabledError) {
      const body = renderError('plain', {
        status: 404,
        type: 'not_found_error',
        message: exception.message,
      });
      void reply.status(404).send(body);
      return;
    }
    let d = describe(exception);
    if (!d) {
      const req = ctx.getRequest<FastifyRequest>();
      this.logger.error(
        `request ${String(req.id)} failed: ${(exception as Error)?.stack ?? String(exception)}`,
      );
      d = {
        status: 500,
        message: 'internal error; the request id in x-request-id identifies it in the logs',
      };
    }
    if (exception instanceof ManagementError) {
      for (const [k, v] of Object.entries(exception.headers)) void reply.header(k, v);
    }
    void reply.status(d.status).send({ error: d.message });
  }
}
