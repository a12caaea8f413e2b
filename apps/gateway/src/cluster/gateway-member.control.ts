import { Injectable } from '@nestjs/common';
import { MemberControl, type HealthReport } from '@app/cluster';
import { PauseService } from '@app/proxy';
import { CredentialService } from '@app/routing';
import { RedisService } from '@app/storage';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { routingHealth } from '@app/gateway/panel/routing-health';

/**
 * The gateway as a cluster member: `stop` pauses THIS replica's proxy routes (they answer 503
 * with Retry-After while other replicas keep serving, and management stays up); health is Redis
 * reachable and upstream credentials loaded; the checks also count cooling credentials and models
 * without a usable credential.
 */
@Injectable()
export class GatewayMemberControl extends MemberControl {
  readonly kind = 'gateway' as const;

  constructor(
    private readonly flags: PauseService,
    private readonly lifecycle: LifecycleService,
    private readonly credentials: CredentialService,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async pause(): Promise<void> {
    this.flags.setPaused(true);
  }

  async resume(): Promise<void> {
    this.flags.setPaused(false);
  }

  get paused(): boolean {
    return this.flags.isPaused;
  }

  get draining(): boolean {
    return this.lifecycle.draining;
  }

  async health(): Promise<HealthReport> {
    const redis = await this.redis.ping();
    const creds = this.credentials.snapshot().credentials;
    const enabled = creds.filter((c) => !c.disabled).length;
    const routing = routingHealth(this.credentials);
    const errored = routing.credentials.filter((c) => !c.disabled && c.error).length;
    const states = [
      routing.cooling > 0 ? `${routing.cooling} cooling now` : '',
      errored > 0 ? `${errored} out of service` : '',
    ].filter(Boolean);
    const unserved = routing.unserved.map((u) => u.model);
    const checks = {
      redis: { ok: redis, detail: redis ? 'reachable' : 'unreachable' },
      credentials: {
        ok: enabled > 0,
        detail:
          enabled > 0
            ? `${enabled} of ${creds.length} credentials enabled${states.length ? `, ${states.join(', ')}` : ''}`
            : 'no enabled upstream credential (config.yaml keys or auth files)',
      },
      // Informational: a model nothing can serve right now is a problem for its callers, not a
      // reason to take this replica out of service (the verdict below ignores it).
      models: {
        ok: unserved.length === 0,
        detail:
          unserved.length === 0
            ? 'every model has a usable credential'
            : `${unserved.length} model${unserved.length === 1 ? '' : 's'} with no usable credential: ${unserved.slice(0, 5).join(', ')}${unserved.length > 5 ? ', …' : ''}`,
      },
    };
    return { status: redis && enabled > 0 ? 'healthy' : 'unhealthy', checks };
  }
}
