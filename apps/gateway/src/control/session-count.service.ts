import { Inject, Injectable, Optional } from '@nestjs/common';
import { MembershipRepository } from '@app/cluster';
import { ProxyMetrics } from '@app/proxy';
import { RelayHub } from '@app/proxy/relay/relay-hub';
import { PROCESS_NAME } from '@app/storage';

/**
 * Live client sessions: open client streams plus `/v1/ws` relay connections. Each gateway
 * reports its own count in its cluster heartbeat; the cluster total adds the other live
 * gateways' last reports (at most one heartbeat old) to this process's live count.
 */
@Injectable()
export class SessionCountService {
  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly members: MembershipRepository,
    @Inject(PROCESS_NAME) private readonly name: string,
    @Optional() private readonly relay?: RelayHub,
  ) {}

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
}
