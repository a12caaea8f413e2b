import { parseModelSuffix } from '@app/llm/util/thinking';
import type { Credential } from '@app/routing/credential.types';
import { catalogFor, catalogModel, defaultOwner } from '@app/routing/model-catalog';
import { compileModelPatterns } from '@app/routing/model-pattern';
import type { OAuthModelAliasConfig, RoutingConfig } from '@app/routing/routing-config';

/** One way to serve a client model: which credential, and the model name to send upstream. */
export interface RouteCandidate {
  readonly credential: Credential;
  /** Sent upstream; carries the client's thinking suffix (`model(high)`) when it gave one. */
  readonly upstreamModel: string;
  /** The upstream model without suffix: the key of per-credential, per-model runtime state. */
  readonly stateModel: string;
}

/** An entry of `/v1/models`. */
export interface ModelListEntry {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
  /** The provider of the highest-priority credential serving it (entry name for compat). */
  readonly provider: string;
  readonly display_name?: string;
}

/** Options of `resolve` and `list`. */
export interface ResolveOptions {
  /**
   * Pin to one provider (`/api/provider/:provider/...`): an executor id (`claude`,
   * `gemini-cli`…) or an openai-compatibility entry name.
   */
  provider?: string;
}

/** `created` for models no catalog dates (2024-01-01), so every replica lists the same value. */
const UNDATED = 1704067200;

const EMPTY: readonly RouteCandidate[] = Object.freeze([]);

interface ServedModel {
  client: string;
  upstream: string;
}

/** The provider keys a credential answers to when a request pins a provider. */
function providerKeys(c: Credential): string[] {
  const keys = [c.provider, c.channel];
  if (c.compatName) keys.push(c.compatName.toLowerCase());
  return keys;
}

/** The models one credential serves, before prefixes: catalog or explicit, aliased, filtered. */
function servedModels(c: Credential, config: RoutingConfig): ServedModel[] {
  let models: ServedModel[] = c.models
    ? c.models.map((m) => ({ client: m.alias || m.name, upstream: m.name }))
    : catalogFor(c.provider).map((m) => ({ client: m.id, upstream: m.id }));

  const oauth = c.kind === 'oauth';
  if (oauth) models = applyOAuthAliases(models, config['oauth-model-alias']?.[c.channel]);

  const patterns = oauth
    ? [...c.excludedModels, ...(config['oauth-excluded-models']?.[c.channel] ?? [])]
    : c.excludedModels;
  const excluded = compileModelPatterns(patterns);

  const seen = new Set<string>();
  return models.filter((m) => {
    // An alias of an excluded model is excluded too: it would still reach that model.
    if (excluded(m.upstream) || excluded(m.client) || seen.has(m.client)) return false;
    seen.add(m.client);
    return true;
  });
}

/**
 * `oauth-model-alias.<channel>`: each alias adds a client name for an upstream model. Without
 * `fork` the alias replaces the original name; with `fork: true` both are served.
 */
function applyOAuthAliases(
  models: ServedModel[],
  aliases: readonly OAuthModelAliasConfig[] | undefined,
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
    for (const a of list) out.push({ client: a.alias, upstream: m.upstream });
  }
  return out;
}

/**
 * Which credential serves which client-visible model, and under which upstream name. Built
 * once per credentials/config change (immutable afterwards); `resolve` is a map lookup.
 *
 * Rules (CLIProxyAPI's): explicit `models` (alias → name) or the channel's catalog;
 * `oauth-model-alias` per channel (OAuth credentials only); `excluded-models` and
 * `oauth-excluded-models` wildcards; `prefix` makes a model visible as `<prefix>/<model>` and,
 * with `force-model-prefix: true`, only under that name; disabled credentials serve nothing.
 * Candidates are ordered by priority (highest first), then by credential order.
 */
export class ModelRegistry {
  private constructor(
    private readonly index: ReadonlyMap<string, readonly RouteCandidate[]>,
    private readonly listing: readonly ModelListEntry[],
    private readonly pins: ReadonlyMap<Credential, readonly string[]>,
    private readonly perCredential: ReadonlyMap<string, readonly string[]>,
    /** Client-visible names only disabled credentials serve → their provider keys. */
    private readonly disabledNames: ReadonlyMap<string, readonly (readonly string[])[]> = new Map(),
  ) {}

  /** An empty registry (nothing can be served). */
  static empty(): ModelRegistry {
    return new ModelRegistry(new Map(), [], new Map(), new Map());
  }

  /** Build the registry from the current credentials and config. */
  static build(credentials: readonly Credential[], config: RoutingConfig): ModelRegistry {
    const force = config['force-model-prefix'] === true;
    const lists = new Map<string, RouteCandidate[]>();
    const pins = new Map<Credential, readonly string[]>();
    const perCredential = new Map<string, readonly string[]>();

    // Stable sort: priority first, then the order credentials were given in.
    const ordered = credentials
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !c.disabled)
      .sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
      .map(({ c }) => c);

    for (const c of ordered) {
      pins.set(c, providerKeys(c));
      const names: string[] = [];
      for (const m of servedModels(c, config)) {
        const candidate: RouteCandidate = Object.freeze({
          credential: c,
          upstreamModel: m.upstream,
          stateModel: m.upstream,
        });
        const visible = c.prefix
          ? force
            ? [`${c.prefix}/${m.client}`]
            : [m.client, `${c.prefix}/${m.client}`]
          : [m.client];
        for (const name of visible) {
          let list = lists.get(name);
          if (!list) lists.set(name, (list = []));
          list.push(candidate);
          names.push(name);
        }
      }
      perCredential.set(c.authIndex, Object.freeze(names));
    }

    // Names a disabled credential would serve: such a model is known (503 while they are off),
    // not unknown (400).
    const disabledNames = new Map<string, string[][]>();
    for (const c of credentials) {
      if (!c.disabled) continue;
      const keys = providerKeys(c);
      for (const m of servedModels(c, config)) {
        const names = c.prefix
          ? force
            ? [`${c.prefix}/${m.client}`]
            : [m.client, `${c.prefix}/${m.client}`]
          : [m.client];
        for (const name of names) {
          const list = disabledNames.get(name);
          if (list) list.push(keys);
          else disabledNames.set(name, [keys]);
        }
      }
    }

    const index = new Map<string, readonly RouteCandidate[]>();
    const listing: ModelListEntry[] = [];
    for (const [name, list] of lists) {
      index.set(name, Object.freeze(list));
      const first = list[0];
      const cred = first.credential;
      const meta = catalogModel(first.upstreamModel, cred.provider);
      const entry: ModelListEntry = {
        id: name,
        object: 'model',
        created: meta?.created ?? UNDATED,
        owned_by:
          cred.provider === 'openai-compatibility'
            ? defaultOwner(cred.provider, cred.compatName)
            : (meta?.owned_by ?? defaultOwner(cred.provider)),
        provider: cred.compatName ?? cred.provider,
      };
      listing.push(
        Object.freeze(meta?.display_name ? { ...entry, display_name: meta.display_name } : entry),
      );
    }
    listing.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return new ModelRegistry(index, Object.freeze(listing), pins, perCredential, disabledNames);
  }

  /** Number of client-visible model names. */
  get size(): number {
    return this.index.size;
  }

  /**
   * Candidates for a client model, highest priority first. A thinking suffix (`model(high)`,
   * `model(8192)`) is ignored for the lookup and kept on `upstreamModel`. Empty when nothing
   * can serve it.
   */
  resolve(clientModel: string, opts?: ResolveOptions): readonly RouteCandidate[] {
    let list = this.index.get(clientModel);
    let suffix = '';
    if (!list) {
      const base = parseModelSuffix(clientModel).model;
      if (base !== clientModel) {
        list = this.index.get(base);
        suffix = clientModel.slice(base.length);
      }
      if (!list) return EMPTY;
    }
    if (opts?.provider) {
      const want = opts.provider.trim().toLowerCase();
      list = list.filter((c) => this.pins.get(c.credential)?.includes(want));
      if (list.length === 0) return EMPTY;
    }
    if (suffix) {
      list = list.map((c) => ({
        credential: c.credential,
        upstreamModel: c.upstreamModel + suffix,
        stateModel: c.stateModel,
      }));
    }
    return list;
  }

  /** True when some credential serves the model (suffix ignored). */
  has(clientModel: string, opts?: ResolveOptions): boolean {
    return this.resolve(clientModel, opts).length > 0;
  }

  /**
   * True when some credential serves the model, or would if it were not disabled (suffix
   * ignored): the difference between "unknown model" and "nothing usable right now".
   */
  knows(clientModel: string, opts?: ResolveOptions): boolean {
    if (this.has(clientModel, opts)) return true;
    const want = opts?.provider?.trim().toLowerCase();
    for (const name of [clientModel, parseModelSuffix(clientModel).model]) {
      const keys = this.disabledNames.get(name);
      if (keys && (!want || keys.some((k) => k.includes(want)))) return true;
    }
    return false;
  }

  /** Exactly what can be served, sorted by id (optionally only one provider's). */
  list(opts?: ResolveOptions): readonly ModelListEntry[] {
    if (!opts?.provider) return this.listing;
    return this.listing.filter((m) => this.resolve(m.id, opts).length > 0);
  }

  /** Client-visible names a credential serves (by auth index), for management listings. */
  modelsOf(authIndex: string): readonly string[] {
    return this.perCredential.get(authIndex) ?? [];
  }
}
