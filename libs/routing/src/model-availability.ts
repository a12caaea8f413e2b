import type { Availability } from '@app/routing/credential-state.policy';
import type { ModelRegistry } from '@app/routing/model-registry';

/** Why nothing can serve a model right now. */
export type UnservedReason =
  /** Only disabled credentials serve it. */
  | 'disabled'
  /** Every credential serving it is out of service until someone acts (revoked token…). */
  | 'error'
  /** Every credential serving it is cooling down or out of quota; `until` says when one is back. */
  | 'cooling';

/** A model no request could be served for at this moment. */
export interface UnservedModel {
  model: string;
  reason: UnservedReason;
  /** Providers of the credentials that would serve it. */
  providers: string[];
  /** Epoch ms the first credential comes back (cooling only). */
  until?: number;
}

/**
 * Every model a request would be refused for right now: listed models whose credentials are all
 * cooling or in error, and names only disabled credentials serve. Reads state only (no
 * round-robin cursor moves), so it is safe to call from a status page.
 */
export function unservedModels(
  registry: ModelRegistry,
  state: { availability(authIndex: string, model: string, now: number): Availability },
  now: number,
): UnservedModel[] {
  const out: UnservedModel[] = [];
  for (const m of registry.list()) {
    const candidates = registry.resolve(m.id);
    if (candidates.length === 0) continue;
    let earliest = Number.POSITIVE_INFINITY;
    let available = false;
    for (const c of candidates) {
      const a = state.availability(c.credential.authIndex, c.stateModel, now);
      if (a.available) {
        available = true;
        break;
      }
      earliest = Math.min(earliest, a.until);
    }
    if (available) continue;
    const providers = [
      ...new Set(candidates.map((c) => c.credential.compatName ?? c.credential.provider)),
    ];
    out.push(
      earliest === Number.POSITIVE_INFINITY
        ? { model: m.id, reason: 'error', providers }
        : { model: m.id, reason: 'cooling', providers, until: earliest },
    );
  }
  for (const d of registry.disabledOnly()) {
    out.push({ model: d.model, reason: 'disabled', providers: d.providers });
  }
  return out;
}
