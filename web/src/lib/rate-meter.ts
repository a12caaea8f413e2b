/**
 * Requests per second over a sliding window, from the live request stream. Counts go into
 * one-second buckets of a fixed ring, so each event costs O(1) and memory never grows.
 */
export class RateMeter {
  private readonly counts: number[];
  /** The second (epoch seconds) the newest bucket stands for. */
  private head = 0;

  constructor(
    /** Window length in seconds. */
    readonly windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.counts = new Array<number>(windowSeconds).fill(0);
  }

  /** Count one event now (or at `atMs`). */
  add(atMs = this.now()): void {
    const sec = Math.floor(atMs / 1000);
    this.advance(Math.max(sec, this.head));
    const age = this.head - sec;
    if (age >= this.windowSeconds) return;
    const i = this.slot(sec);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  /** Events per second in each of the last `windowSeconds` seconds, oldest first. */
  series(): number[] {
    this.advance(Math.floor(this.now() / 1000));
    const out: number[] = [];
    for (let s = this.head - this.windowSeconds + 1; s <= this.head; s++) {
      out.push(this.counts[this.slot(s)] ?? 0);
    }
    return out;
  }

  /** Average rate over the last `seconds` complete seconds (the current one is still filling). */
  rate(seconds = 10): number {
    const s = this.series();
    const n = Math.min(seconds, s.length - 1);
    if (n <= 0) return 0;
    let sum = 0;
    for (let i = s.length - 1 - n; i < s.length - 1; i++) sum += s[i] ?? 0;
    return sum / n;
  }

  private slot(sec: number): number {
    return ((sec % this.windowSeconds) + this.windowSeconds) % this.windowSeconds;
  }

  /** Move the head to `sec`, zeroing the buckets that fell out of the window. */
  private advance(sec: number): void {
    if (sec <= this.head) return;
    const steps = Math.min(sec - this.head, this.windowSeconds);
    for (let k = 1; k <= steps; k++) this.counts[this.slot(sec - steps + k)] = 0;
    this.head = sec;
  }
}
