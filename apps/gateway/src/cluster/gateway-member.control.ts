import { Injectable } from '@nestjs/common';
import { MemberControl, type HealthReport } from '@app/cluster';
import { ProxyService } from '@app/proxy';
import { CredentialService } from '@app/routing';
import { RedisService } from '@app/storage';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';

/**
 * The gateway as a cluster member: `stop` pauses THIS replica's proxy routes (they answer 503
 * with Retry-After while other replicas keep serving, and management stays up); health is Redis
 * reachable and upstream credentials loaded.
 */
@Injectable()
export class GatewayMemberControl extends MemberControl {
  readonly kind = 'gateway' as const;

  constructor(
    private readonly proxy: ProxyService,
    private readonly lifecycle: LifecycleService,
    private readonly credentials: CredentialService,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async pause(): Promise<void> {
    this.proxy.setPaused(true);
  }

  async resume(): Promise<void> {
    this.proxy.setPaused(false);
  }

  get paused(): boolean {
    return this.proxy.isPaused;
  }

  get draining(): boolean {
    return this.lifecycle.draining;
  }

  async health(): Promise<HealthReport> {
    const redis = await this.redis.ping();
    const creds = this.credentials.snapshot().credentials;
    const enabled = creds.filter((c) => !c.disabled).length;
    const checks = {
      redis: { ok: redis, detail: redis ? 'reachable' : 'unreachable' },
      credentials: {
        ok: enabled > 0,
        detail:
          enabled > 0
            ? `${enabled} of ${creds.length} credentials enabled`
            : 'no enabled upstream credential (config.yaml keys or auth files)',
      },
    };
    return { status: redis && enabled > 0 ? 'healthy' : 'unhealthy', checks };
  }
}
