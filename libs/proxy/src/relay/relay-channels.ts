import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type RedisClient, RedisService } from '@app/storage';

type Handler = (message: string) => void;

/**
 * The relay's own pub/sub subscriber. RedisService.subscribe issues SUBSCRIBE at once, and one
 * issued while its subscriber connection is still connecting can fail silently (ioredis answers
 * "Connection in subscriber mode…" and the channel is never listened to); the relay cannot
 * work without its channels, so it subscribes here, on every `ready` (first connect and each
 * reconnect). Channel names carry the key prefix, as RedisService.publish writes them.
 */
@Injectable()
export class RelayChannels implements OnApplicationShutdown {
  private readonly logger = new Logger('WsRelay');
  private readonly handlers = new Map<string, Handler>();
  private sub: RedisClient | undefined;
  private lastError = 0;

  constructor(private readonly redis: RedisService) {}

  /** Listen to a channel (one handler per channel); returns a function that stops listening. */
  listen(channel: string, handler: Handler): () => void {
    const full = this.redis.key('ch', channel);
    this.handlers.set(full, handler);
    const sub = this.connection();
    if (sub.status === 'ready') this.subscribe(sub, [full]);
    return () => {
      this.handlers.delete(full);
      if (sub.status === 'ready') sub.unsubscribe(full).catch(() => undefined);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    if (!sub) return;
    try {
      if (sub.status === 'ready') await sub.quit();
      else sub.disconnect();
    } catch {
      sub.disconnect();
    }
  }

  private connection(): RedisClient {
    if (this.sub) return this.sub;
    const sub = this.redis.connection('subscriber', 'ws-relay:sub');
    sub.on('ready', () => this.subscribe(sub, [...this.handlers.keys()]));
    sub.on('message', (channel: string, message: string) => {
      const handler = this.handlers.get(channel);
      if (!handler) return;
      try {
        handler(message);
      } catch (err) {
        this.logger.error(`relay handler for ${channel} threw: ${(err as Error).message}`);
      }
    });
    sub.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastError > 5000) {
        this.lastError = now;
        this.logger.warn(`relay subscriber: ${err.message}`);
      }
    });
    this.sub = sub;
    return sub;
  }

  private subscribe(sub: RedisClient, channels: string[]): void {
    if (channels.length === 0) return;
    sub.subscribe(...channels).catch((err: unknown) => {
      this.logger.warn(`relay subscribe failed: ${(err as Error).message}`);
    });
  }
}
