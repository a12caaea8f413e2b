import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import type { CooldownReason } from '@app/routing/cooldown.policy';
import type { ModelState } from '@app/routing/credential-state.policy';
import { CredentialService } from '@app/routing/credential.service';
import type { Credential } from '@app/routing/credential.types';

/** What a credential is doing right now, as the `state` label says it. */
export type CredentialMetricState =
  'active' | 'cooling_down' | 'quota_exceeded' | 'error' | 'disabled';

/** Every state, so a provider's series exist (at 0) even when nothing is in them. */
export const CREDENTIAL_METRIC_STATES: readonly CredentialMetricState[] = [
  'active',
  'cooling_down',
  'quota_exceeded',
  'error',
  'disabled',
];

interface Flags {
  error: boolean;
  quota: boolean;
  cooling: boolean;
}

/**
 * Count credentials by provider and state. One state per credential, the most severe wins:
 * disabled, then error (refresh token revoked), then quota_exceeded, then cooling_down (at least
 * one model benched), else active. Reads the in-memory state only (no Redis).
 */
export function countCredentialStates(
  credentials: readonly Credential[],
  states: readonly { authIndex: string; state: ModelState }[],
  now: number,
): Map<string, Record<CredentialMetricState, number>> {
  const flags = new Map<string, Flags>();
  for (const { authIndex, state } of states) {
    let f = flags.get(authIndex);
    if (!f) flags.set(authIndex, (f = { error: false, quota: false, cooling: false }));
    if (state.error) f.error = true;
    if (state.quotaExceededUntil > now) f.quota = true;
    if (state.cooldownUntil > now) f.cooling = true;
  }
  const out = new Map<string, Record<CredentialMetricState, number>>();
  for (const c of credentials) {
    let row = out.get(c.provider);
    if (!row) {
      row = { active: 0, cooling_down: 0, quota_exceeded: 0, error: 0, disabled: 0 };
      out.set(c.provider, row);
    }
    const f = flags.get(c.authIndex);
    if (c.disabled) row.disabled++;
    else if (f?.error) row.error++;
    else if (f?.quota) row.quota_exceeded++;
    else if (f?.cooling) row.cooling_down++;
    else row.active++;
  }
  return out;
}

/**
 * Routing metrics: cooldowns this process put credentials into, and credentials by provider and
 * state (read at scrape time from the routing snapshot and the shared state, so every process
 * reports the cluster's view; aggregate with `max`, not `sum`).
 */
@Injectable()
export class RoutingMetrics implements OnApplicationShutdown {
  /** Failures that benched a credential for a model, by provider and reason. */
  readonly cooldowns: Counter<'provider' | 'reason'>;
  /** Credentials by provider and state. */
  readonly credentials: Gauge<'provider' | 'state'>;
  private readonly off: () => void;

  constructor(metrics: MetricsService, routing: CredentialService) {
    const registers = [metrics.registry];
    this.cooldowns = new Counter({
      name: `${METRIC_PREFIX}cooldowns_total`,
      help: 'Upstream failures that put a credential in cooldown for a model, by provider and reason (auth, not_found, rate_limit, transient)',
      labelNames: ['provider', 'reason'],
      registers,
    });
    const cooldowns = this.cooldowns;
    this.off = routing.onCooldown((provider: string, reason: CooldownReason) =>
      cooldowns.inc({ provider, reason }),
    );
    this.credentials = new Gauge({
      name: `${METRIC_PREFIX}credentials`,
      help: 'Credentials by provider and state (active, cooling_down, quota_exceeded, error, disabled)',
      labelNames: ['provider', 'state'],
      registers,
      // Every gateway process on a port (GATEWAY_WORKERS) counts the same credentials.
      aggregator: 'max',
      collect() {
        this.reset();
        const counts = countCredentialStates(
          routing.snapshot().credentials,
          routing.state.entries(),
          Date.now(),
        );
        for (const [provider, row] of counts) {
          for (const state of CREDENTIAL_METRIC_STATES) this.set({ provider, state }, row[state]);
        }
      },
    });
  }

  onApplicationShutdown(): void {
    this.off();
  }
}
