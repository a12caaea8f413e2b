import { Injectable } from '@nestjs/common';

/**
 * Whether proxy traffic is paused: on this replica (the cluster API's member stop) or on every
 * replica (the control API's proxy-stop, a flag shared in Redis and mirrored here by the
 * gateway). While paused the proxy routes answer 503 with Retry-After; everything else stays up.
 */
@Injectable()
export class PauseService {
  private member = false;
  private cluster = false;

  /** Pause or resume proxy traffic on this replica (cluster member stop / start). */
  setPaused(paused: boolean): void {
    this.member = paused;
  }

  get isPaused(): boolean {
    return this.member;
  }

  /** Pause or resume proxy traffic on every replica (the control API's shared flag). */
  setClusterPaused(paused: boolean): void {
    this.cluster = paused;
  }

  get isClusterPaused(): boolean {
    return this.cluster;
  }

  /** True while either pause holds. */
  get paused(): boolean {
    return this.member || this.cluster;
  }
}
