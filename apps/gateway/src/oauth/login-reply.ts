import type { FastifyReply } from 'fastify';
import { AppError, renderLoginError, type LoginErrorBody } from '@app/common';

/**
 * Run a login step; a login error becomes `{"status":"error","error":…}` with its HTTP status
 * (the shape CLIProxyAPI's panel reads). Anything else goes to the exception filter.
 */
export async function loginReply<T>(
  reply: FastifyReply,
  step: () => Promise<T>,
): Promise<T | LoginErrorBody> {
  try {
    return await step();
  } catch (err) {
    if (!AppError.is(err, 'login')) throw err;
    void reply.status(err.status);
    return renderLoginError(err);
  }
}
