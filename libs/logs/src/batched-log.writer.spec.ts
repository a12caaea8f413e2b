import { MetricsService } from '@app/metrics';
import {
  BatchedLogWriter,
  countedDrops,
  type BatchedLogOptions,
  type LogDropReason,
} from '@app/logs/batched-log.writer';
import { LogsMetrics } from '@app/logs/logs.metrics';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function connectionError(): Error {
  return new Error('Connection is closed.');
}

function replyError(): Error {
  const err = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
  err.name = 'ReplyError';
  return err;
}

describe(BatchedLogWriter.name, () => {
  let redis: { isReady: boolean };
  let batches: number[][];
  let failures: Error[];
  let drops: [number, LogDropReason][];
  let errors: Error[];

  function writer(over: Partial<BatchedLogOptions> = {}) {
    return new BatchedLogWriter<number>(
      redis,
      { bufferMax: 100, batchSize: 3, flushDelayMs: 5, whenDown: 'drop', ...over },
      async (batch) => {
        const err = failures.shift();
        if (err) throw err;
        batches.push(batch);
      },
      { onDrop: (n, reason) => drops.push([n, reason]), onError: (e) => errors.push(e) },
    );
  }

  beforeEach(() => {
    redis = { isReady: true };
    batches = [];
    failures = [];
    drops = [];
    errors = [];
  });

  it('should hand entries to the sink in batches off the caller', async () => {
    const sut = writer();
    for (let i = 0; i < 7; i++) sut.push(i);
    expect(batches).toEqual([]);
    await sut.settled();
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(sut.written).toBe(7);
  });

  it('should wait for companions up to the flush delay', async () => {
    const sut = writer({ batchSize: 10, flushDelayMs: 20 });
    sut.push(1);
    await tick(5);
    sut.push(2);
    expect(batches).toEqual([]);
    await tick(40);
    expect(batches).toEqual([[1, 2]]);
  });

  it('should drop the oldest entries when the buffer is full', async () => {
    const sut = writer({ bufferMax: 2, batchSize: 10 });
    sut.push(1);
    sut.push(2);
    sut.push(3);
    await sut.settled();
    expect(batches).toEqual([[2, 3]]);
    expect(drops).toEqual([[1, 'buffer-full']]);
  });

  it('should drop and count what is queued while Redis is down (drop)', async () => {
    const sut = writer();
    redis.isReady = false;
    sut.push(1);
    sut.push(2);
    await sut.settled();
    expect(batches).toEqual([]);
    expect(drops).toEqual([[2, 'redis-down']]);
  });

  it('should drop a failed batch and go on with the next (drop)', async () => {
    const sut = writer();
    failures.push(connectionError());
    for (let i = 0; i < 4; i++) sut.push(i);
    await sut.settled();
    expect(batches).toEqual([[3]]);
    expect(drops).toEqual([[3, 'rejected']]);
    expect(errors).toHaveLength(1);
  });

  it('should keep a batch the connection lost and write it when Redis is back (keep)', async () => {
    const ready = new Set<() => void>();
    const conn = {
      isReady: true,
      command: {
        on: (_e: string, fn: () => void) => ready.add(fn),
        off: (_e: string, fn: () => void) => ready.delete(fn),
      },
    };
    const sut = new BatchedLogWriter<number>(
      conn as never,
      { bufferMax: 100, batchSize: 3, flushDelayMs: 5, whenDown: 'keep' },
      async (batch) => {
        const err = failures.shift();
        if (err) throw err;
        batches.push(batch);
      },
      { onDrop: (n, reason) => drops.push([n, reason]) },
    );
    failures.push(connectionError());
    sut.push(1);
    sut.push(2);
    await sut.flush();
    expect(batches).toEqual([]);
    expect(sut.pending).toBe(2);
    conn.isReady = false;
    await sut.settled(); // nothing to do while down: it waits for the connection
    expect(sut.pending).toBe(2);
    conn.isReady = true;
    for (const fn of ready) fn();
    await tick(10);
    expect(batches).toEqual([[1, 2]]);
    expect(drops).toEqual([]);
    await sut.close();
    expect(ready.size).toBe(0);
  });

  it('should drop a batch Redis refused instead of retrying it (keep)', async () => {
    const sut = writer({ whenDown: 'keep' });
    failures.push(replyError());
    sut.push(1);
    sut.push(2);
    await sut.flush();
    expect(drops).toEqual([[2, 'rejected']]);
    expect(sut.pending).toBe(0);
  });

  it('should count entries the sink reports as refused', () => {
    const sut = writer();
    sut.reject(2, 'bad');
    expect(drops).toEqual([[2, 'rejected']]);
    expect(errors.map((e) => e.message)).toEqual(['bad']);
  });

  it('should write what is left on close and refuse entries after it', async () => {
    const sut = writer({ batchSize: 10, flushDelayMs: 10_000 });
    sut.push(1);
    await sut.close();
    sut.push(2);
    await tick(5);
    expect(batches).toEqual([[1]]);
  });
});

describe(countedDrops.name, () => {
  it('should count drops by stream and reason and warn at most every 10 s', async () => {
    const metrics = new LogsMetrics(new MetricsService());
    const warnings: string[] = [];
    const events = countedDrops(metrics, 'errors', { warn: (m: string) => warnings.push(m) }, 'x');
    events.onDrop?.(3, 'redis-down');
    events.onError?.(new Error('first'));
    events.onError?.(new Error('second'));
    const values = (await metrics.dropped.get()).values;
    expect(values).toEqual([
      expect.objectContaining({ labels: { stream: 'errors', reason: 'redis-down' }, value: 3 }),
    ]);
    expect(warnings).toEqual(['could not store x: first']);
  });
});
