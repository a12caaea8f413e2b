import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { PROCESS_NAME } from '@app/storage/process-name';
import { RedisService } from '@app/storage/redis.service';

/** Pub/sub channel announcing a config change to every process of the cluster. */
export const CONFIG_CHANNEL = 'config-changed';

/**
 * Keeps every process on the same config: a local file change reloads here and is announced on
 * Redis; an announcement from another process makes this one reload its file too.
 */
@Injectable()
export class ConfigSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ConfigSync');
  private unsubscribe: (() => void) | undefined;
  private offChange: (() => void) | undefined;
  private reloadingFromPeer = false;

  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
    @Inject(PROCESS_NAME) private readonly processName: string,
  ) {}

  onApplicationBootstrap(): void {
    this.offChange = this.config.onChange(() => {
      this.metrics.configReloads.inc({ result: 'ok' });
      if (this.reloadingFromPeer) return;
      void this.redis.publish(
        CONFIG_CHANNEL,
        JSON.stringify({ from: this.processName, at: Date.now() }),
      );
    });
    this.unsubscribe = this.redis.subscribe(CONFIG_CHANNEL, (message) => {
      void this.onPeerMessage(message);
    });
    this.config.startWatching();
  }

  onApplicationShutdown(): void {
    this.config.stopWatching();
    this.unsubscribe?.();
    this.offChange?.();
  }

  private async onPeerMessage(message: string): Promise<void> {
    let from = '';
    try {
      const parsed = (JSON.parse(message) as { from?: unknown }).from;
      from = typeof parsed === 'string' ? parsed : '';
    } catch {
      // a malformed message still means "reload"
    }
    if (from === this.processName) return;
    this.reloadingFromPeer = true;
    try {
      const result = await this.config.reload(`announced by ${from || 'a peer'}`);
      if (!result.ok) this.metrics.configReloads.inc({ result: 'invalid' });
    } catch (err) {
      this.logger.error(`reload failed: ${(err as Error).message}`);
    } finally {
      this.reloadingFromPeer = false;
    }
  }
}
