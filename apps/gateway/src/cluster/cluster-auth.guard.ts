import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clusterError, isForeignBrowserRequest, wasAuthenticated } from '@app/common';
import { ClusterTokenService, MembershipRepository, tokenHash } from '@app/cluster';
import { ManagementAuthService } from '@app/management';
import { PeerService } from '@app/gateway/http/peer.service';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const HOW_TO =
  'Send Authorization: Bearer <token> with the token from <data-dir>/token or the management key';

/**
 * Cluster API auth (docs/cluster.md): localhost (the socket peer, or a trusted proxy's client)
 * is free; anyone else sends `Authorization: Bearer <token>` with the generated token of any
 * member (`<data-dir>/token`) or the management key. Anything that is not a member's token
 * goes through the management key's one authenticator, so it is counted before it is checked
 * and shares the ban of the management and control APIs. The gateway runs `check` in
 * `onRequest`, before the body is read.
 */
@Injectable()
export class ClusterAuthGuard implements CanActivate {
  constructor(
    private readonly peer: PeerService,
    private readonly tokens: ClusterTokenService,
    private readonly members: MembershipRepository,
    private readonly management: ManagementAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (!wasAuthenticated(req.raw)) await this.check(req);
    return true;
  }

  /** Throws an AppError unless the request may go on. */
  async check(req: FastifyRequest): Promise<void> {
    const address = this.peer.address(req);
    // A web page in a browser on this machine is a loopback peer too, but not a local program.
    if (this.peer.isLocalAddress(address) && !isForeignBrowserRequest(req.headers)) return;
    const auth = req.headers.authorization;
    const token = (typeof auth === 'string' ? BEARER.exec(auth)?.[1] : undefined) ?? '';
    if (token && (await this.isMemberToken(token))) return;
    // Remote supervisors may use the management key without allow-remote (as before); it is
    // still counted and banned like on every other surface.
    const verdict = await this.management.authenticate(address, token, {
      remoteNeedsAllowRemote: false,
    });
    if (verdict.ok) return;
    if (verdict.status === 403) throw clusterError('FORBIDDEN', verdict.message);
    throw clusterError('UNAUTHORIZED', HOW_TO);
  }

  private async isMemberToken(token: string): Promise<boolean> {
    if (this.tokens.matchesLocal(token)) return true;
    try {
      return await this.members.isKnownTokenHash(tokenHash(token));
    } catch {
      // Redis down: the local token and the management key still work
      return false;
    }
  }
}
