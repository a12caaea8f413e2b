/**
 * A FIFO with a fixed capacity that drops its OLDEST item when full (newer usage is worth more
 * than older when Redis stays down). Ring storage: push and take never shift arrays.
 */
export class BoundedQueue<T> {
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

  /** Append an item; returns 1 when the oldest item was dropped to make room, else 0. */
  push(item: T): number {
    const cap = this.capacity;
    if (this.size === cap) {
      this.slots[this.head] = item;
      this.head = (this.head + 1) % cap;
      return 1;
    }
    this.slots[(this.head + this.size) % cap] = item;
    this.size++;
    return 0;
  }

  /** Remove and return up to `n` of the oldest items, oldest first. */
  take(n: number): T[] {
    const k = Math.min(n, this.size);
    const out = new Array<T>(k);
    const cap = this.capacity;
    for (let i = 0; i < k; i++) {
      const idx = (this.head + i) % cap;
      out[i] = this.slots[idx] as T;
      this.slots[idx] = undefined;
    }
    this.head = (this.head + k) % cap;
    this.size -= k;
    return out;
  }
}
