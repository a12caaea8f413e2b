import type { FastifyReply } from 'fastify';
import { LoginError } from '@app/oauth';

/** CLIProxyAPI's error body on its OAuth routes. */
export interface LoginErrorBody {
  status: 'error';
  error: string;
  [extra: string]: string;
}

/**
 * Run a login step; a LoginError becomes `{"status":"error","error":…}` with its HTTP status
 * (the shape CLIProxyAPI's panel reads). Anything else goes to the management error filter.
 */
export async function loginReply<T>(
  reply: FastifyReply,
  step: () => Promise<T>,
): Promise<T | LoginErrorBody> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    void reply.status(err.status);
    return { ...err.extra, status: 'error', error: err.message };
  }
}
