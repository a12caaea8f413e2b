import { Injectable } from '@nestjs/common';

/** Process state that several surfaces read: start time and whether we are draining. */
@Injectable()
export class LifecycleService {
  readonly startedAt = new Date();
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Enter draining: /status answers 503 and new proxy work is refused. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  uptimeSeconds(): number {
    return (Date.now() - this.startedAt.getTime()) / 1000;
  }
}
