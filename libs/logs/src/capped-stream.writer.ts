import type { RedisClient } from '@app/storage';
import { BatchedLogWriter, type BatchedLogEvents } from '@app/logs/batched-log.writer';
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

/**
 * A BatchedLogWriter whose sink is a capped Redis stream: one round trip per batch
 * (`XADD key MAXLEN ~ n * j <entry>` per entry, batched server-side). While Redis is down the
 * entries are kept (bounded) and written as soon as the connection is ready again.
 */
export class CappedStreamWriter extends BatchedLogWriter<string> {
  constructor(redis: StreamRedis, opts: CappedStreamOptions, events: BatchedLogEvents = {}) {
    super(
      redis,
      {
        bufferMax: opts.bufferMax,
        batchSize: opts.batchSize,
        flushDelayMs: opts.flushDelayMs,
        whenDown: 'keep',
      },
      async (batch) => {
        const maxLen = Math.max(1, Math.floor(opts.maxLen()));
        await redis.command.eval(APPEND_SCRIPT, 1, opts.key, maxLen, ...batch);
      },
      events,
    );
  }
}
