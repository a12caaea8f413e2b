// The family fallback of one credential: which unlisted names of its provider's family it serves.
import type { Credential } from '@app/routing/credential.types';
import { credentialFamily } from '@app/routing/model-family';
import type { ModelMatcher } from '@app/routing/model-pattern';
import { providerKeys, type CredentialModels } from '@app/routing/model-served';

/** A credential that also serves its provider's family beyond what it lists (model-family.ts). */
export interface FamilyRoute {
  readonly credential: Credential;
  readonly family: ModelMatcher;
  readonly excluded: ModelMatcher;
  readonly renamed: ReadonlySet<string>;
  /** Upstream names (lower-case) it serves by list: those are never "family only". */
  readonly listed: ReadonlySet<string>;
  /** Provider keys a pinned request must name. */
  readonly keys: readonly string[];
}

/**
 * The upstream name a family route would send for a client name (no suffix), or undefined when
 * it does not serve it: the credential's prefix is removed (and required with
 * `force-model-prefix`), the rest must be of the family, not excluded and not renamed.
 */
export function familyUpstream(r: FamilyRoute, name: string, force: boolean): string | undefined {
  const prefix = r.credential.prefix;
  let upstream = name;
  if (prefix && name.startsWith(`${prefix}/`)) upstream = name.slice(prefix.length + 1);
  else if (prefix && force) return undefined;
  if (!r.family(upstream) || r.excluded(upstream) || r.renamed.has(upstream.toLowerCase())) {
    return undefined;
  }
  return upstream;
}

export function familyRoute(c: Credential, served: CredentialModels): FamilyRoute | undefined {
  const family = credentialFamily(c);
  if (!family) return undefined;
  return {
    credential: c,
    family,
    excluded: served.excluded,
    renamed: served.renamed,
    listed: new Set(served.models.map((m) => m.upstream.toLowerCase())),
    keys: providerKeys(c),
  };
}
