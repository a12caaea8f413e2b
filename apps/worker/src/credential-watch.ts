import { Logger } from '@nestjs/common';
import type { CredentialService } from '@app/routing';

/** How often the credential snapshot's version is compared (a cheap in-memory read). */
const CHECK_EVERY_MS = 1000;
/** A full pass at least this often, healing anything a missed change left behind. */
const FULL_PASS_EVERY_MS = 5 * 60_000;

/**
 * Calls `onChange` when the routing snapshot changes (auth dir edited, token refreshed, config
 * reloaded) and every few minutes regardless. Passes never overlap; a change during a pass
 * triggers one more.
 */
export class CredentialWatch {
  private readonly logger = new Logger('CredentialWatch');
  private timer: NodeJS.Timeout | undefined;
  private seenVersion = -1;
  private lastPass = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly credentials: CredentialService,
    private readonly onChange: () => Promise<unknown>,
    private readonly everyMs = CHECK_EVERY_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Wait for the pass in progress, if any (tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    const version = this.credentials.snapshot().version;
    const now = Date.now();
    if (version === this.seenVersion && now - this.lastPass < FULL_PASS_EVERY_MS) return;
    this.seenVersion = version;
    this.lastPass = now;
    this.running = this.onChange()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn(`pass failed: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
  }
}
