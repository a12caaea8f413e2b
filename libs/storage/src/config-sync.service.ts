import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigRepository, ConfigService, type ConfigReloadResult } from '@app/config';
import { MetricsService } from '@app/metrics';
import { PROCESS_NAME } from '@app/storage/process-name';
import { RedisService } from '@app/storage/redis.service';
import { ConfigStoreService } from '@app/storage/config-store/config-store.service';

/** Pub/sub channel announcing a config change to every process of the cluster. */
export const CONFIG_CHANNEL = 'config-changed';

/**
 * Keeps every process on the same config: a local file change reloads here and is announced on
 * Redis; an announcement from another process makes this one reload its file too.
 *
 * It watches the file itself (rather than `ConfigService.startWatching`) so that every reload's
 * outcome reaches `switchboard_config_reloads_total`: `ok` when a new config took effect, whatever
 * caused it (file change, peer announcement, management write), `invalid` when a reload was
 * rejected and the previous config stayed, `error` when the file could not be read.
 *
 * With `config-store: redis` the store announces and applies changes itself (and refuses hand
 * edits of the local file), so this service only counts reloads.
 */
@Injectable()
export class ConfigSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ConfigSync');
  private unsubscribe: (() => void) | undefined;
  private offChange: (() => void) | undefined;
  private stopWatch: (() => void) | undefined;
  private reloadingFromPeer = false;
  // The directory watch and the stat poll can both report one bad save; ConfigService answers
  // the repeat with the same error list, so comparing by identity counts it once.
  private lastRejected: ConfigReloadResult['errors'];

  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
    @Inject(PROCESS_NAME) private readonly processName: string,
    private readonly repo: ConfigRepository,
    private readonly store: ConfigStoreService,
  ) {}

  onApplicationBootstrap(): void {
    this.offChange = this.config.onChange(() => {
      this.metrics.configReloads.inc({ result: 'ok' });
      if (this.reloadingFromPeer || this.store.active) return;
      void this.redis.publish(
        CONFIG_CHANNEL,
        JSON.stringify({ from: this.processName, at: Date.now() }),
      );
    });
    if (this.store.active) return;
    this.unsubscribe = this.redis.subscribe(CONFIG_CHANNEL, (message) => {
      void this.onPeerMessage(message);
    });
    this.stopWatch ??= this.repo.watch(this.config.path, () => {
      void this.reload('file changed');
    });
  }

  onApplicationShutdown(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.unsubscribe?.();
    this.offChange?.();
  }

  /** Reload and count a failed outcome (a success is counted by the change listener). */
  private async reload(reason: string): Promise<void> {
    try {
      const result = await this.config.reload(reason);
      if (result.ok) {
        this.lastRejected = undefined;
      } else if (result.errors !== this.lastRejected) {
        this.lastRejected = result.errors;
        this.metrics.configReloads.inc({ result: 'invalid' });
      }
    } catch (err) {
      this.metrics.configReloads.inc({ result: 'error' });
      this.logger.error(`reload (${reason}) failed: ${(err as Error).message}`);
    }
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
      await this.reload(`announced by ${from || 'a peer'}`);
    } finally {
      this.reloadingFromPeer = false;
    }
  }
}
