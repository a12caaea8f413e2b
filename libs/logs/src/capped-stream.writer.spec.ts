import { EventEmitter } from 'node:events';
import { CappedStreamWriter, type StreamRedis } from '@app/logs/capped-stream.writer';
import { RingBuffer } from '@app/common';

/** A Redis stand-in: records each batch written; `fail` makes the next calls reject. */
class FakeRedis extends EventEmitter implements StreamRedis {
  isReady = true;
  fail = 0;
  /** Error thrown by the next eval instead of a connection failure. */
  nextError: Error | undefined;
  /** Each eval's key, MAXLEN and entries. */
  readonly batches: { key: string; maxLen: number; entries: string[] }[] = [];

  get command() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      on: (e: string, fn: () => void) => self.on(e, fn),
      off: (e: string, fn: () => void) => self.off(e, fn),
      eval: async (
        _script: string,
        _n: number,
        key: string,
        maxLen: number,
        ...entries: string[]
      ) => {
        if (self.nextError) {
          const err = self.nextError;
          self.nextError = undefined;
          throw err;
        }
        if (self.fail > 0) {
          self.fail--;
          throw new Error('Connection is closed.');
        }
        self.batches.push({ key, maxLen, entries });
        return entries.length;
      },
    } as unknown as StreamRedis['command'];
  }

  /** Every entry written, in order. */
  written(): string[] {
    return this.batches.flatMap((b) => b.entries);
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe(CappedStreamWriter.name, () => {
  let redis: FakeRedis;
  const drops: [number, string][] = [];

  function writer(over: { bufferMax?: number; batchSize?: number; maxLen?: number } = {}) {
    return new CappedStreamWriter(
      redis,
      {
        key: 'sb:logs:test',
        maxLen: () => over.maxLen ?? 100,
        bufferMax: over.bufferMax ?? 1000,
        batchSize: over.batchSize ?? 50,
        flushDelayMs: 5,
      },
      { onDrop: (n, reason) => drops.push([n, reason]) },
    );
  }

  beforeEach(() => {
    redis = new FakeRedis();
    drops.length = 0;
  });

  it('should gather entries pushed together into one capped, pipelined write', async () => {
    const sut = writer({ maxLen: 777 });
    for (let i = 0; i < 10; i++) sut.push(`line ${i}`);
    expect(redis.batches).toHaveLength(0); // push never writes synchronously
    await tick(20);
    expect(redis.batches).toHaveLength(1);
    expect(redis.batches[0].key).toBe('sb:logs:test');
    expect(redis.batches[0].maxLen).toBe(777);
    expect(redis.batches[0].entries).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`));
    expect(sut.written).toBe(10);
  });

  it('should write in batches of batchSize', async () => {
    const sut = writer({ batchSize: 4 });
    for (let i = 0; i < 10; i++) sut.push(String(i));
    await sut.flush();
    expect(redis.batches.map((b) => b.entries.length)).toEqual([4, 4, 2]);
    expect(redis.written()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('should hold entries while Redis is down, dropping the oldest past the bound, and flush on reconnect', async () => {
    redis.isReady = false;
    const sut = writer({ bufferMax: 3 });
    for (let i = 0; i < 5; i++) sut.push(String(i));
    await tick(20);
    expect(redis.batches).toHaveLength(0);
    expect(sut.pending).toBe(3);
    expect(sut.dropped).toBe(2);
    expect(drops).toEqual([
      [1, 'buffer-full'],
      [1, 'buffer-full'],
    ]);
    redis.isReady = true;
    redis.emit('ready');
    await tick(20);
    expect(redis.written()).toEqual(['2', '3', '4']);
    expect(sut.pending).toBe(0);
  });

  it('should keep a batch whose write failed and retry it in order', async () => {
    const sut = writer();
    redis.fail = 1;
    sut.push('a');
    sut.push('b');
    await sut.flush(); // fails: the batch goes back
    expect(sut.pending).toBe(2);
    sut.push('c');
    await sut.flush();
    expect(redis.written()).toEqual(['a', 'b', 'c']);
  });

  it('should drop and count a batch Redis refused, and go on with the next', async () => {
    const sut = writer({ batchSize: 2 });
    redis.nextError = Object.assign(new Error('WRONGTYPE'), { name: 'ReplyError' });
    for (const e of ['a', 'b', 'c']) sut.push(e);
    await sut.flush();
    expect(drops).toEqual([[2, 'rejected']]);
    expect(redis.written()).toEqual(['c']);
    expect(sut.pending).toBe(0);
  });

  it('should never throw into the caller, even after close', async () => {
    const sut = writer();
    await sut.close(10);
    expect(() => sut.push('late')).not.toThrow();
    expect(sut.pending).toBe(0);
  });
});

describe(RingBuffer.name, () => {
  it('should drop the oldest item when full and give items back oldest first', () => {
    const sut = new RingBuffer<number>(3);
    expect([1, 2, 3, 4].map((n) => sut.push(n))).toEqual([false, false, false, true]);
    expect(sut.take(2)).toEqual([2, 3]);
    sut.push(5);
    expect(sut.take(10)).toEqual([4, 5]);
    expect(sut.length).toBe(0);
  });

  it('should put a failed batch back in front, keeping the newest when there is no room', () => {
    const sut = new RingBuffer<number>(3);
    sut.push(9);
    sut.push(10);
    expect(sut.unshiftAll([7, 8])).toBe(1); // only 8 fits in front of 9, 10
    expect(sut.take(3)).toEqual([8, 9, 10]);
    expect(() => new RingBuffer(0)).toThrow(/capacity/);
  });
});
