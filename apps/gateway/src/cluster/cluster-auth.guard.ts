import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  ClusterApiError,
  ClusterTokenService,
  MembershipRepository,
  tokenHash,
} from '@app/cluster';
import { ManagementAuthService } from '@app/management';
import { PeerService } from '@app/gateway/http/peer.service';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Cluster API auth (docs/cluster.md): localhost (the socket peer, or a trusted proxy's client)
 * is free; anyone else sends `Authorization: Bearer <token>` with the generated token of any
 * member (`<data-dir>/token`) or the management key.
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
    if (this.peer.isLocal(req)) return true;
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' ? BEARER.exec(auth)?.[1] : undefined;
    if (token && (await this.accepts(token))) return true;
    throw new ClusterApiError(
      'UNAUTHORIZED',
      'Send Authorization: Bearer <token> with the token from <data-dir>/token or the management key',
    );
  }

  private async accepts(token: string): Promise<boolean> {
    if (this.tokens.matchesLocal(token)) return true;
    try {
      if (await this.members.isKnownTokenHash(tokenHash(token))) return true;
    } catch {
      // Redis down: the local token and the management key still work
    }
    return this.management.verifyKey(token);
  }
}
