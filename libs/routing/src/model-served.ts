// What one credential serves by list: catalog or explicit models, OAuth aliases, exclusions.
import type { Credential } from '@app/routing/credential.types';
import { catalogFor } from '@app/routing/model-catalog';
import { credentialFamily } from '@app/routing/model-family';
import { compileModelPatterns, type ModelMatcher } from '@app/routing/model-pattern';
import type { OAuthModelAliasConfig, RoutingConfig } from '@app/routing/routing-config';

export interface ServedModel {
  client: string;
  upstream: string;
}

/** The provider keys a credential answers to when a request pins a provider. */
export function providerKeys(c: Credential): string[] {
  const keys = [c.provider, c.channel];
  if (c.compatName) keys.push(c.compatName.toLowerCase());
  return keys;
}

/** What one credential serves by list, and what its family fallback must leave alone. */
export interface CredentialModels {
  /** Served names (catalog or explicit, aliased, filtered), before prefixes. */
  readonly models: ServedModel[];
  /** Its exclusions: its own and, for OAuth credentials, the channel's. */
  readonly excluded: ModelMatcher;
  /** Upstream names (lower-case) an alias without `fork` renamed: not served as themselves. */
  readonly renamed: ReadonlySet<string>;
}

/** The models one credential serves: catalog or explicit, aliased, filtered. */
export function servedModels(c: Credential, config: RoutingConfig): CredentialModels {
  let models: ServedModel[] = c.models
    ? c.models.map((m) => ({ client: m.alias || m.name, upstream: m.name }))
    : catalogFor(c.provider).map((m) => ({ client: m.id, upstream: m.id }));

  const oauth = c.kind === 'oauth';
  const renamed = new Set<string>();
  if (oauth) {
    const aliases = config['oauth-model-alias']?.[c.channel];
    const family = credentialFamily(c);
    // An alias may name a model of the credential's family that no catalog lists yet.
    if (family && aliases?.length) models = withFamilyAliasTargets(models, aliases, family);
    models = applyOAuthAliases(models, aliases, renamed);
  }

  const patterns = oauth
    ? [...c.excludedModels, ...(config['oauth-excluded-models']?.[c.channel] ?? [])]
    : c.excludedModels;
  const excluded = compileModelPatterns(patterns);

  const seen = new Set<string>();
  models = models.filter((m) => {
    // An alias of an excluded model is excluded too: it would still reach that model.
    if (excluded(m.upstream) || excluded(m.client) || seen.has(m.client)) return false;
    seen.add(m.client);
    return true;
  });
  return { models, excluded, renamed };
}

/** Alias targets of the credential's family missing from its list, added so the alias applies. */
function withFamilyAliasTargets(
  models: ServedModel[],
  aliases: readonly OAuthModelAliasConfig[],
  family: ModelMatcher,
): ServedModel[] {
  const have = new Set(models.map((m) => m.upstream.toLowerCase()));
  const out = [...models];
  for (const a of aliases) {
    const name = a.name?.trim();
    if (!name || !a.alias?.trim() || !family(name) || have.has(name.toLowerCase())) continue;
    have.add(name.toLowerCase());
    out.push({ client: name, upstream: name });
  }
  return out;
}

/**
 * `oauth-model-alias.<channel>`: each alias adds a client name for an upstream model. Without
 * `fork` the alias replaces the original name (recorded in `renamed`); with `fork: true` both
 * are served.
 */
function applyOAuthAliases(
  models: ServedModel[],
  aliases: readonly OAuthModelAliasConfig[] | undefined,
  renamed: Set<string>,
): ServedModel[] {
  if (!aliases?.length) return models;
  const byName = new Map<string, OAuthModelAliasConfig[]>();
  for (const a of aliases) {
    const name = a.name?.trim().toLowerCase();
    const alias = a.alias?.trim();
    if (!name || !alias) continue;
    const list = byName.get(name) ?? [];
    list.push({ name: a.name.trim(), alias, fork: a.fork });
    byName.set(name, list);
  }
  const out: ServedModel[] = [];
  for (const m of models) {
    const list = byName.get(m.upstream.toLowerCase());
    if (!list) {
      out.push(m);
      continue;
    }
    if (list.every((a) => a.fork === true)) out.push(m);
    else renamed.add(m.upstream.toLowerCase());
    for (const a of list) out.push({ client: a.alias, upstream: m.upstream });
  }
  return out;
}
