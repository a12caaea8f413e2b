import type { LoginSessionStore } from '@app/oauth/login/login-session.types';

/** One poll's verdict: keep going (after `intervalMs`) or stop. */
export interface DevicePollStep {
  done: boolean;
  /** The wait before the next poll (the provider's interval, grown by slow_down). */
  intervalMs: number;
}

/** Tuning of the device-flow poller. */
export interface DevicePollerOptions {
  /** This process's id for poll leases. */
  owner: string;
  /** How often to look for device logins nobody polls (their process died). */
  sweepMs?: number;
  /** The shortest poll lease; a lease always outlives three poll intervals. */
  minLeaseMs?: number;
  /** First wait when a login's interval is not known yet. */
  defaultIntervalMs?: number;
  /** Where poll errors go (they never stop the poller). */
  onError?: (state: string, err: unknown) => void;
}

/**
 * Polls device-flow logins (Qwen, Kimi) in the background. The poll state lives in the session
 * store and each login is polled by one process at a time under a lease; a periodic sweep
 * adopts logins whose poller went away, so a login survives the process that started it.
 */
export class DevicePoller {
  private readonly active = new Map<string, { timer?: NodeJS.Timeout; wake?: () => void }>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly sweepMs: number;
  private readonly minLeaseMs: number;
  private readonly defaultIntervalMs: number;

  constructor(
    private readonly store: LoginSessionStore,
    private readonly pollOnce: (state: string) => Promise<DevicePollStep>,
    private readonly opts: DevicePollerOptions,
  ) {
    this.sweepMs = opts.sweepMs ?? 5000;
    this.minLeaseMs = opts.minLeaseMs ?? 15_000;
    this.defaultIntervalMs = opts.defaultIntervalMs ?? 5000;
  }

  /** Start polling a login here (no-op if this process already does). */
  track(state: string, intervalMs = this.defaultIntervalMs): void {
    if (this.stopped || this.active.has(state)) return;
    this.active.set(state, {});
    void this.run(state, intervalMs);
  }

  /** How many logins this process is polling. */
  get tracking(): number {
    return this.active.size;
  }

  /** Look for orphaned device logins every `sweepMs`. */
  startSweeping(): void {
    if (this.sweeper || this.stopped) return;
    this.sweeper = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  /** Adopt every pending device login nobody holds a lease on. */
  async sweep(): Promise<void> {
    try {
      for (const state of await this.store.pendingDeviceStates()) this.track(state);
    } catch (err) {
      this.opts.onError?.('(sweep)', err);
    }
  }

  /** Stop polling and hand the leases back so another process adopts the logins at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const states = [...this.active.keys()];
    for (const slot of this.active.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.wake?.();
    }
    this.active.clear();
    await Promise.all(
      states.map((s) => this.store.releasePoll(s, this.opts.owner).catch(() => undefined)),
    );
  }

  private leaseMs(intervalMs: number): number {
    return Math.max(this.minLeaseMs, 3 * intervalMs);
  }

  private wait(state: string, ms: number): Promise<void> {
    const slot = this.active.get(state);
    if (!slot) return Promise.resolve();
    return new Promise((resolve) => {
      slot.wake = resolve;
      slot.timer = setTimeout(resolve, ms);
      slot.timer.unref?.();
    });
  }

  private async run(state: string, firstInterval: number): Promise<void> {
    let interval = firstInterval;
    try {
      while (!this.stopped && this.active.has(state)) {
        // Renew (or take) the lease before every poll; losing it means another process polls.
        const mine = await this.store
          .leasePoll(state, this.opts.owner, this.leaseMs(interval))
          .catch((err: unknown) => {
            this.opts.onError?.(state, err);
            return true; // Redis hiccup: keep polling, the lease is renewed next round
          });
        if (!mine) break;
        await this.wait(state, interval);
        if (this.stopped || !this.active.has(state)) break;
        let step: DevicePollStep;
        try {
          step = await this.pollOnce(state);
        } catch (err) {
          this.opts.onError?.(state, err);
          continue;
        }
        interval = step.intervalMs;
        if (step.done) {
          await this.store.releasePoll(state, this.opts.owner).catch(() => undefined);
          break;
        }
      }
    } finally {
      this.active.delete(state);
    }
  }
}
