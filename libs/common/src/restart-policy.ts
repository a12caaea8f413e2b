/** How a supervisor restarts a member that crashed. */
export interface RestartPolicyOptions {
  /** Delay before the first restart; each further crash in a row doubles it. */
  firstDelayMs: number;
  /** Longest delay. */
  maxDelayMs: number;
  /** Crashes counted within this window; a run this long also resets the doubling. */
  windowMs: number;
  /** This many crashes within the window: give up. */
  maxCrashes: number;
}

/** 1 s doubling to 30 s; 5 crashes within 2 minutes and the supervisor gives up. */
export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  windowMs: 120_000,
  maxCrashes: 5,
};

/** What to do after a crash. */
export type RestartDecision =
  { action: 'restart'; delayMs: number } | { action: 'give-up'; crashes: number };

/**
 * The crash history of one member and the decision after each crash (`npm start` keeps one per
 * member). Pure: the caller passes the clock.
 */
export class RestartPolicy {
  private crashes: number[] = [];
  private streak = 0;

  constructor(private readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** The member crashed at `now` after starting at `startedAt`. */
  crashed(now: number, startedAt: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.opts.windowMs);
    this.crashes.push(now);
    if (this.crashes.length >= this.opts.maxCrashes) {
      return { action: 'give-up', crashes: this.crashes.length };
    }
    // A member that ran a whole window before crashing starts again from the first delay.
    if (now - startedAt >= this.opts.windowMs) this.streak = 0;
    this.streak += 1;
    const delayMs = Math.min(this.opts.firstDelayMs * 2 ** (this.streak - 1), this.opts.maxDelayMs);
    return { action: 'restart', delayMs };
  }
}
