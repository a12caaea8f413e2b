import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { managementDisabled, managementError, wasAuthenticated } from '@app/common';
import { ManagementAuthService } from '@app/management/management-auth.service';
import { extractManagementKey, setVersionHeaders } from '@app/management/management-key';

/**
 * Guards every `/v0/management/*` route: 404 as for an unknown route when no management key
 * exists, version headers on every other answer, then ManagementAuthService's verdict. The
 * gateway runs `check` in `onRequest`, before the body is read; the guard then lets the
 * request through without a second check.
 */
@Injectable()
export class ManagementGuard implements CanActivate {
  constructor(private readonly auth: ManagementAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    if (wasAuthenticated(req.raw)) return true;
    await this.check(req, http.getResponse<FastifyReply>());
    return true;
  }

  /** Throws ManagementDisabledError or AppError unless the request may go on. */
  async check(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.auth.isEnabled()) throw managementDisabled(req.method, req.url);
    setVersionHeaders(reply);
    const verdict = await this.auth.authenticate(
      this.auth.clientAddress(req),
      extractManagementKey(req.headers),
    );
    if (!verdict.ok) throw managementError(verdict.status, verdict.message);
  }
}
