/**
 * A FIFO of fixed capacity that drops its OLDEST item when full: when Redis is down for long,
 * the newest log lines and usage records are the ones worth keeping. Ring storage, so neither
 * end shifts an array. Used by every write-behind buffer (usage, request log, process log).
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`capacity must be a positive integer, got ${capacity}`);
    }
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Items held. */
  get length(): number {
    return this.size;
  }

  /** Append; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    if (this.size === this.capacity) {
      this.slots[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.slots[(this.head + this.size) % this.capacity] = item;
    this.size++;
    return false;
  }

  /** Put items back at the front (a batch that failed to write), oldest first; returns how many did not fit. */
  unshiftAll(items: readonly T[]): number {
    let dropped = 0;
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.size === this.capacity) {
        dropped += i + 1;
        break;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = items[i];
      this.size++;
    }
    return dropped;
  }

  /** Remove and return up to `n` of the oldest items, oldest first. */
  take(n: number): T[] {
    const k = Math.min(n, this.size);
    const out = new Array<T>(k);
    for (let i = 0; i < k; i++) {
      const idx = (this.head + i) % this.capacity;
      out[i] = this.slots[idx] as T;
      this.slots[idx] = undefined;
    }
    this.head = (this.head + k) % this.capacity;
    this.size -= k;
    return out;
  }
}
