import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { MembershipRepository } from '@app/cluster';
import { ProxyMetrics, RelayHub } from '@app/proxy';
import { PROCESS_NAME } from '@app/storage';

/** How often this gateway looks at its own count and publishes it when it changed. */
export const SESSION_PUBLISH_MS = 250;

/**
 * Live client sessions: open client streams plus `/v1/ws` relay connections. Each gateway
 * publishes its own count in its cluster record as soon as it changes (checked every 250 ms,
 * and with every heartbeat); the cluster total adds the other live gateways' counts to this
 * process's live one.
 */
@Injectable()
export class SessionCountService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private published = -1;
  private publishing = false;

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly members: MembershipRepository,
    @Inject(PROCESS_NAME) private readonly name: string,
    @Optional() private readonly relay?: RelayHub,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.publish(), SESSION_PUBLISH_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** This process's open client streams and WebSocket relay connections. */
  async local(): Promise<number> {
    const { values } = await this.metrics.openStreams.get();
    return values.reduce((sum, v) => sum + v.value, 0) + (this.relay?.localCount ?? 0);
  }

  /** Open sessions across the cluster; this process's own count when Redis is unreachable. */
  async cluster(): Promise<number> {
    const own = await this.local();
    try {
      let others = 0;
      for (const { record, alive } of await this.members.list()) {
        if (alive && record.kind === 'gateway' && record.name !== this.name)
          others += record.sessions ?? 0;
      }
      return own + others;
    } catch {
      return own;
    }
  }

  /** Write this gateway's count to its cluster record when it changed since the last write. */
  async publish(): Promise<void> {
    if (this.publishing) return;
    this.publishing = true;
    try {
      const n = await this.local();
      if (n === this.published) return;
      await this.members.saveSessions(this.name, n);
      this.published = n;
    } catch {
      // Redis down: the next tick (or heartbeat) tries again
    } finally {
      this.publishing = false;
    }
  }
}
