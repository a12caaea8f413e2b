import type { Availability } from '@app/routing/credential-state.policy';
import type { RouteCandidate } from '@app/routing/model-registry';
import type { RoutingStrategy } from '@app/routing/routing-config';

/** Where the selector reads availability (CredentialStateRepository in production). */
export interface AvailabilitySource {
  availability(authIndex: string, model: string, now: number): Availability;
}

/** Where the selector takes round-robin turns (RoundRobinCursorRepository in production). */
export interface CursorSource {
  next(bucket: string): Promise<number>;
}

/** The order to try credentials in, or why there is none. */
export type SelectionResult =
  /** Try these in order (fail over to the next on a retryable error). */
  | { readonly kind: 'ok'; readonly candidates: readonly RouteCandidate[] }
  /** Every candidate is cooling down: answer 429 `model_cooldown` with Retry-After. */
  | { readonly kind: 'cooldown'; readonly resetAt: number; readonly retryAfterSeconds: number }
  /** Nothing serves the model: answer 503. */
  | { readonly kind: 'none' };

const NONE: SelectionResult = Object.freeze({ kind: 'none' });

/**
 * Orders candidates for one request: the highest priority bucket with an available credential
 * first; inside it `round-robin` (a cursor shared by every replica, so N replicas rotate as one)
 * or `fill-first` (always the first available); lower buckets follow as failover. Credentials
 * cooling down or out of quota for the model are skipped.
 */
export class Selector {
  constructor(
    private readonly state: AvailabilitySource,
    private readonly cursors: CursorSource,
    private readonly strategy: () => RoutingStrategy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Order `candidates` (as ModelRegistry.resolve returns them) for a request for `model`. */
  async select(model: string, candidates: readonly RouteCandidate[]): Promise<SelectionResult> {
    if (candidates.length === 0) return NONE;
    const now = this.now();
    const available: RouteCandidate[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    let sorted = true;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (i > 0 && c.credential.priority > candidates[i - 1].credential.priority) sorted = false;
      const a = this.state.availability(c.credential.authIndex, c.stateModel, now);
      if (a.available) available.push(c);
      else if (a.until < earliest) earliest = a.until;
    }
    if (available.length === 0) {
      // Only errored credentials (revoked refresh token): nothing will come back by waiting.
      if (earliest === Number.POSITIVE_INFINITY) return NONE;
      return {
        kind: 'cooldown',
        resetAt: earliest,
        retryAfterSeconds: Math.max(1, Math.ceil((earliest - now) / 1000)),
      };
    }
    if (!sorted) available.sort((a, b) => b.credential.priority - a.credential.priority);

    const top = available[0].credential.priority;
    let bucketSize = 1;
    while (bucketSize < available.length && available[bucketSize].credential.priority === top)
      bucketSize++;
    if (bucketSize === 1 || this.strategy() === 'fill-first')
      return { kind: 'ok', candidates: available };

    const cursor = await this.cursors.next(`${model}|${top}`);
    const offset = (((cursor - 1) % bucketSize) + bucketSize) % bucketSize;
    if (offset === 0) return { kind: 'ok', candidates: available };
    const ordered = [
      ...available.slice(offset, bucketSize),
      ...available.slice(0, offset),
      ...available.slice(bucketSize),
    ];
    return { kind: 'ok', candidates: ordered };
  }
}
