import { RingBuffer } from '@app/common';
import type { RedisClient } from '@app/storage';
import { ENTRY_FIELD } from '@app/logs/stream-entry';

/** The part of RedisService a writer needs (tests pass a fake). */
export interface StreamRedis {
  readonly command: Pick<RedisClient, 'eval' | 'on' | 'off'>;
  readonly isReady: boolean;
}

// One round trip and one command per batch: `XADD key MAXLEN ~ n * j <entry>` for each entry.
// Measured against a pipeline of XADDs, this costs the Node process about a fifth of the CPU per
// entry (ioredis builds one command object instead of hundreds), which is what keeps the request
// log off the proxy's throughput budget.
const APPEND_SCRIPT = `
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '${ENTRY_FIELD}', ARGV[i])
end
return #ARGV - 1
`;

/** Tuning of one writer. */
export interface CappedStreamOptions {
  /** Full (prefixed) stream key. */
  key: string;
  /** `XADD MAXLEN ~ n`: read on every batch so a config reload applies at once. */
  maxLen: () => number;
  /** Most entries held in memory while Redis is slow or down; the oldest go first. */
  bufferMax: number;
  /** Entries per round trip. */
  batchSize: number;
  /** How long an entry may wait for companions before it is written. */
  flushDelayMs: number;
}

/** What happened to entries that never reached Redis. */
export interface CappedStreamEvents {
  /** `n` entries were dropped (buffer full, or Redis refused them). */
  onDrop?: (n: number, reason: 'buffer-full' | 'rejected') => void;
  /** A batch could not be written (kept and retried). */
  onError?: (err: Error) => void;
}

/**
 * Appends entries to a capped Redis stream without ever blocking or throwing into the caller:
 * `push` only queues; a short timer gathers what arrives meanwhile and writes it in one round
 * trip (`XADD key MAXLEN ~ n * j <entry>` per entry, batched server-side). While Redis is down the
 * queue is bounded (oldest dropped and counted) and it is flushed as soon as the connection is
 * ready again.
 */
export class CappedStreamWriter {
  private readonly buffer: RingBuffer<string>;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  private timerDue = 0;
  private flushing: Promise<void> | undefined;
  private readonly onReady = () => this.schedule(0);
  private closed = false;
  /** Entries written since start. */
  written = 0;
  /** Entries dropped since start. */
  dropped = 0;

  constructor(
    private readonly redis: StreamRedis,
    private readonly opts: CappedStreamOptions,
    private readonly events: CappedStreamEvents = {},
  ) {
    this.buffer = new RingBuffer(opts.bufferMax);
    redis.command.on('ready', this.onReady);
  }

  /** Entries waiting in memory. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Queue one entry (its encoded text). Never throws, never waits. */
  push(entry: string): void {
    if (this.closed) return;
    if (this.buffer.push(entry)) this.drop(1, 'buffer-full');
    this.schedule(this.buffer.length >= this.opts.batchSize ? 0 : this.opts.flushDelayMs);
  }

  /** Write everything queued now (concurrent callers share one run). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      // entries that arrived while the last batch was in flight
      if (this.buffer.length > 0 && this.redis.isReady) this.schedule(this.opts.flushDelayMs);
    });
    return this.flushing;
  }

  /** Stop accepting, write what is left (bounded wait), detach from the connection. */
  async close(timeoutMs = 2000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length > 0 && this.redis.isReady && Date.now() < deadline) {
      await this.flush();
    }
    this.redis.command.off('ready', this.onReady);
  }

  private schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    // A timer that fires no later is already set: the common case on every push.
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && this.redis.isReady) {
      const batch = this.buffer.take(this.opts.batchSize);
      const maxLen = Math.max(1, Math.floor(this.opts.maxLen()));
      try {
        await this.redis.command.eval(APPEND_SCRIPT, 1, this.opts.key, maxLen, ...batch);
        this.written += batch.length;
      } catch (err) {
        if ((err as Error).name === 'ReplyError') {
          // Redis ran the script and said no (a wrong type under the key): retrying cannot help.
          this.drop(batch.length, 'rejected');
          this.events.onError?.(err as Error);
          continue;
        }
        // The connection failed or timed out: keep the batch (newer entries win if no room).
        const lost = this.buffer.unshiftAll(batch);
        if (lost > 0) this.drop(lost, 'buffer-full');
        this.events.onError?.(err as Error);
        return;
      }
    }
  }

  private drop(n: number, reason: 'buffer-full' | 'rejected'): void {
    this.dropped += n;
    this.events.onDrop?.(n, reason);
  }
}
