/**
 * The memory request bodies may hold in one process, in bytes. A request reserves its body's
 * size before the body is read and gives it back when its answer is finished (the parsed body
 * lives that long). A reservation that would go past the budget is refused, except when nothing
 * else is held: one body up to the body limit always gets through.
 */
export class BodyBudget {
  private held = 0;
  private holders = 0;

  /** Bytes reserved right now. */
  get inFlight(): number {
    return this.held;
  }

  /** Reserve `bytes` within `budget`; false (nothing reserved) when they do not fit. */
  tryReserve(bytes: number, budget: number): boolean {
    if (this.holders > 0 && this.held + bytes > budget) return false;
    this.held += bytes;
    this.holders++;
    return true;
  }

  /** Give back a reservation made by `tryReserve`. */
  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    this.holders = Math.max(0, this.holders - 1);
  }
}
