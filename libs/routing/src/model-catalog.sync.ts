import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RedisService } from '@app/storage';
import { CredentialService } from '@app/routing/credential.service';
import { parseCatalogs, useCatalogs } from '@app/routing/model-catalog';

/** Pub/sub channel: "the remote model catalog changed, reload it". */
export const MODEL_CATALOG_CHANNEL = 'model-catalog-changed';
/** A periodic re-read heals a missed notification or a Redis that came up late. */
const RELOAD_EVERY_MS = 60_000;

/**
 * Keeps every process on the model catalog the worker last fetched (stored in Redis), or on
 * the built-in one when there is none. A change rebuilds the model registry.
 */
@Injectable()
export class ModelCatalogSync implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ModelCatalog');
  private off: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private applied: string | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly credentials: CredentialService,
  ) {}

  private get key(): string {
    return this.redis.key('catalog', 'models');
  }

  onModuleInit(): void {
    this.off = this.redis.subscribe(MODEL_CATALOG_CHANNEL, () => void this.load());
    this.timer = setInterval(() => void this.load(), RELOAD_EVERY_MS);
    this.timer.unref();
    void this.load();
  }

  onApplicationShutdown(): void {
    this.off?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** Read the stored catalog and apply it when it differs from what is in use. */
  async load(): Promise<void> {
    let text: string | null;
    try {
      text = await this.redis.command.get(this.key);
    } catch {
      return; // Redis down: keep what is in use
    }
    if (text === this.applied) return;
    let catalogs;
    if (text !== null) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
      const parsed = parseCatalogs(data);
      if ('error' in parsed) {
        this.logger.warn(`stored model catalog ignored: ${parsed.error}`);
        return;
      }
      catalogs = parsed.catalogs;
    }
    useCatalogs(catalogs);
    this.applied = text;
    this.logger.log(
      text === null ? 'using the built-in model catalog' : 'using the remote model catalog',
    );
    await this.credentials.reloadAuthDir('model catalog changed', false);
  }

  /** Store a validated catalog (or null for the built-in one) and tell every process. */
  async publish(text: string | null): Promise<void> {
    if (text === null) await this.redis.command.del(this.key);
    else await this.redis.command.set(this.key, text);
    await this.redis.publish(MODEL_CATALOG_CHANNEL, String(Date.now()));
    await this.load();
  }

  /** The catalog text currently stored (null = built-in). */
  async stored(): Promise<string | null> {
    return this.redis.command.get(this.key);
  }
}
