import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { controlError, isForeignBrowserRequest, isLoopback, wasAuthenticated } from '@app/common';
import { extractManagementKey, ManagementAuthService } from '@app/management';

/**
 * Control API auth (docs/control-api.md): a program on this machine (socket peer, or a trusted
 * proxy's client; not a web page from elsewhere, see `isForeignBrowserRequest`) needs no key; anyone else needs the management key, through the management
 * API's authenticator (`allow-remote`, attempts counted first, bans after 5 failures shared by
 * every replica and every surface). The gateway runs `check` in `onRequest`, before the body
 * is read.
 */
@Injectable()
export class ControlAuthGuard implements CanActivate {
  constructor(private readonly auth: ManagementAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (!wasAuthenticated(req.raw)) await this.check(req);
    return true;
  }

  /** Throws an AppError unless the request may go on. */
  async check(req: FastifyRequest): Promise<void> {
    const address = this.auth.clientAddress(req);
    // A web page in a browser on this machine is a loopback peer too, but not a local program.
    if (isLoopback(address) && !isForeignBrowserRequest(req.headers)) return;
    const verdict = await this.auth.authenticate(address, extractManagementKey(req.headers));
    if (verdict.ok) return;
    if (verdict.status === 404) {
      throw controlError(
        401,
        'Unauthorized',
        'remote access to the control API needs the management key: set remote-management.secret-key in config.yaml',
      );
    }
    throw controlError(
      verdict.status,
      verdict.status === 403 ? 'Forbidden' : 'Unauthorized',
      verdict.message,
    );
  }
}
