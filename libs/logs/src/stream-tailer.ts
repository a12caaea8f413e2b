import { Logger } from '@nestjs/common';
import type { RedisClient, RedisService } from '@app/storage';

/** How long one blocking read waits before it is re-issued (it returns at once on new entries). */
const BLOCK_MS = 5000;
/** Entries taken per read. */
const COUNT = 500;
/** Pause after a failed read (Redis down) before trying again. */
const RETRY_MS = 1000;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * Follows one Redis stream for live readers in this process: a single blocking `XREAD` on a
 * dedicated connection (blocking commands must not share the request-path connection) fans new
 * entries out to every listener. It runs only while someone listens, so an idle gateway holds no
 * extra connection. Entries written by any replica arrive as soon as they are appended.
 */
export class StreamTailer<T> {
  private readonly logger = new Logger('StreamTailer');
  private readonly listeners = new Set<(item: T) => void>();
  private conn: RedisClient | undefined;
  private running = false;
  private started: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: RedisService,
    private readonly key: string,
    private readonly decode: (id: string, fields: string[]) => T,
  ) {}

  /** Listeners attached. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Receive every entry appended from now on. Resolves once the position to follow from is
   * known, so nothing written after it resolves can be missed; returns the function that stops.
   */
  async subscribe(listener: (item: T) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.running) this.start();
    await this.started;
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Stop following (connection closed); listeners are dropped. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private start(): void {
    this.running = true;
    // The queue connection's options: no command timeout (the read blocks by design) and
    // reconnects forever.
    const conn = this.redis.connection('blocking', 'tail');
    conn.on('error', () => undefined); // reported by the main connections; reads retry
    this.conn = conn;
    this.started = this.lastId().then((from) => {
      void this.loop(conn, from);
    });
  }

  /** The id of the newest entry now ('0-0' for an empty stream; `$` when Redis cannot say). */
  private async lastId(): Promise<string> {
    try {
      const page = (await this.redis.command.xrevrange(this.key, '+', '-', 'COUNT', 1)) as [
        string,
        string[],
      ][];
      return page[0]?.[0] ?? '0-0';
    } catch {
      return '$';
    }
  }

  private stop(): void {
    this.running = false;
    const conn = this.conn;
    this.conn = undefined;
    // disconnect() also ends a read that is blocked right now
    conn?.disconnect();
  }

  private async loop(conn: RedisClient, from: string): Promise<void> {
    let last = from;
    while (this.running && this.conn === conn) {
      let reply: XReadReply;
      try {
        reply = await conn.xread('COUNT', COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', this.key, last);
      } catch {
        if (!this.running || this.conn !== conn) return;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          last = id;
          this.emit(this.decode(id, fields));
        }
      }
    }
  }

  private emit(item: T): void {
    for (const listener of this.listeners) {
      try {
        listener(item);
      } catch (err) {
        this.logger.warn(`live listener failed: ${(err as Error).message}`);
      }
    }
  }
}
