import { ReplicatedHash, type RedisService } from '@app/storage';
import type { CooldownDecision } from '@app/routing/cooldown.policy';
import { MODEL_STATE_CODEC } from '@app/routing/credential-state.codec';
import {
  afterFailure,
  afterSuccess,
  ALL_MODELS,
  availabilityOf,
  withErrorMark,
  withoutErrorMark,
  withQuotaExceeded,
  type Availability,
  type CredentialError,
  type ModelState,
  type Transition,
} from '@app/routing/credential-state.policy';

/** Options of the state repository. */
export interface CredentialStateOptions {
  /** Full reload from Redis at this period, healing missed notifications (default 2000 ms). */
  refreshMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Pub/sub channel announcing every state change. */
export const STATE_CHANNEL = 'routing-state';

/**
 * Per credential and model runtime state (cooldowns, failure level, last error, quota), shared
 * by every replica through one replicated Redis hash (`routing:state`, field
 * `<authIndex>|<model>`). The decisions are the pure transitions of `credential-state.policy`;
 * this class only applies them to the replicated hash. Reads are local map lookups.
 */
export class CredentialStateRepository {
  private readonly hash: ReplicatedHash<ModelState>;
  private readonly now: () => number;

  constructor(redis: RedisService, opts: CredentialStateOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.hash = new ReplicatedHash(redis, {
      key: redis.key('routing', 'state'),
      channel: STATE_CHANNEL,
      codec: MODEL_STATE_CODEC,
      refreshMs: opts.refreshMs,
      now: this.now,
      name: 'CredentialState',
    });
  }

  /** Identifies this process's announcements (also used for the auth-dir channel). */
  get instanceId(): string {
    return this.hash.instanceId;
  }

  private static field(authIndex: string, model: string): string {
    return `${authIndex}|${model}`;
  }

  /** Subscribe to changes and start the periodic reload (first reload right away). */
  start(): void {
    this.hash.start();
  }

  /** Stop listening (the local state stays readable). */
  stop(): void {
    this.hash.stop();
  }

  /** The stored state of a credential for a model (not merged with the `*` entry). */
  get(authIndex: string, model: string): ModelState | undefined {
    return this.hash.get(CredentialStateRepository.field(authIndex, model));
  }

  /** Hot path: may the credential be tried for this model now? Local map lookups only. */
  availability(authIndex: string, model: string, now = this.now()): Availability {
    return availabilityOf(this.get(authIndex, model), this.get(authIndex, ALL_MODELS), now);
  }

  /** The credential's error mark (refresh token revoked…), if any. */
  errorOf(authIndex: string): CredentialError | undefined {
    return this.get(authIndex, ALL_MODELS)?.error;
  }

  /** Take a credential out of service until `clearError` (routing skips it, the panel shows why). */
  async markError(authIndex: string, error: Omit<CredentialError, 'at'>): Promise<void> {
    await this.apply(authIndex, ALL_MODELS, (prev, now) => withErrorMark(prev, error, now));
  }

  /** Put a credential back in service (no Redis traffic when it was not marked). */
  async clearError(authIndex: string): Promise<void> {
    await this.apply(authIndex, ALL_MODELS, withoutErrorMark);
  }

  /** Record an upstream failure and the cooldown the policy decided. */
  async recordFailure(
    authIndex: string,
    model: string,
    decision: CooldownDecision,
    error: { status: number; message?: string },
  ): Promise<ModelState> {
    const next = afterFailure(this.get(authIndex, model), decision, error, this.now());
    await this.hash.set(CredentialStateRepository.field(authIndex, model), next);
    return next;
  }

  /** A success clears the model's cooldown and failure level (no Redis traffic if nothing to clear). */
  async recordSuccess(authIndex: string, model: string): Promise<void> {
    await this.apply(authIndex, model, afterSuccess);
  }

  /** Mark a credential's quota as spent until `untilMs` (model `*` for every model). */
  async setQuotaExceeded(authIndex: string, model: string, untilMs: number): Promise<void> {
    await this.apply(authIndex, model, (prev, now) => withQuotaExceeded(prev, untilMs, now));
  }

  /** Forget a credential's state for one model, or for every model. */
  async clear(authIndex: string, model?: string): Promise<void> {
    const fields = model
      ? [CredentialStateRepository.field(authIndex, model)]
      : this.hash.fields().filter((f) => f.startsWith(`${authIndex}|`));
    await Promise.all(fields.map((f) => this.hash.set(f, null)));
  }

  /** Every known state, for management listings. */
  entries(): { authIndex: string; model: string; state: ModelState }[] {
    const out: { authIndex: string; model: string; state: ModelState }[] = [];
    for (const [field, state] of this.hash.entries()) {
      const at = field.indexOf('|');
      out.push({ authIndex: field.slice(0, at), model: field.slice(at + 1), state });
    }
    return out;
  }

  /**
   * Reload everything from Redis, first pushing local changes Redis missed. Returns false when
   * Redis is unreachable (the local state is kept as it is).
   */
  refresh(): Promise<boolean> {
    return this.hash.refresh();
  }

  /** Run one transition on one entry; an unchanged entry costs no Redis traffic. */
  private async apply(
    authIndex: string,
    model: string,
    transition: (prev: ModelState | undefined, now: number) => Transition,
  ): Promise<void> {
    const field = CredentialStateRepository.field(authIndex, model);
    const next = transition(this.hash.get(field), this.now());
    if (next !== undefined) await this.hash.set(field, next);
  }
}
