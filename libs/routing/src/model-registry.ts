import { parseModelSuffix } from '@app/llm';
import type { Credential } from '@app/routing/credential.types';
import { catalogModel, defaultOwner } from '@app/routing/model-catalog';
import { familyRoute, familyUpstream, type FamilyRoute } from '@app/routing/model-family-route';
import { providerKeys, servedModels } from '@app/routing/model-served';
import type { RoutingConfig } from '@app/routing/routing-config';

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

/** Family lookups remembered per registry; client-chosen names, so the memo is bounded. */
const FAMILY_MEMO_LIMIT = 1024;

/** Everything a registry is built from (see ModelRegistry.build). */
interface RegistryParts {
  readonly index: ReadonlyMap<string, readonly RouteCandidate[]>;
  readonly listing: readonly ModelListEntry[];
  readonly pins: ReadonlyMap<Credential, readonly string[]>;
  readonly perCredential: ReadonlyMap<string, readonly string[]>;
  /** Client-visible names only disabled credentials serve → their provider keys. */
  readonly disabledNames: ReadonlyMap<string, readonly (readonly string[])[]>;
  /** Enabled credentials with a family, priority order. */
  readonly families: readonly FamilyRoute[];
  /** Disabled credentials with a family (they make a name known, not servable). */
  readonly disabledFamilies: readonly FamilyRoute[];
  /** The family route of each enabled credential that has one, by auth index. */
  readonly familyOf: ReadonlyMap<string, FamilyRoute>;
  readonly force: boolean;
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
 *
 * A name no credential serves that way falls back to the credentials whose provider natively
 * owns its family (`claude-*` on Claude, model-family.ts) and have no explicit `models`: the
 * name goes upstream as sent. Such names are never listed.
 */
export class ModelRegistry {
  private readonly familyMemo = new Map<string, readonly RouteCandidate[]>();

  private constructor(private readonly parts: RegistryParts) {}

  /** An empty registry (nothing can be served). */
  static empty(): ModelRegistry {
    return new ModelRegistry({
      index: new Map(),
      listing: [],
      pins: new Map(),
      perCredential: new Map(),
      disabledNames: new Map(),
      families: [],
      disabledFamilies: [],
      familyOf: new Map(),
      force: false,
    });
  }

  /** Build the registry from the current credentials and config. */
  static build(credentials: readonly Credential[], config: RoutingConfig): ModelRegistry {
    const force = config['force-model-prefix'] === true;
    const lists = new Map<string, RouteCandidate[]>();
    const pins = new Map<Credential, readonly string[]>();
    const perCredential = new Map<string, readonly string[]>();
    const families: FamilyRoute[] = [];
    const visibleNames = (c: Credential, client: string): string[] =>
      c.prefix ? (force ? [`${c.prefix}/${client}`] : [client, `${c.prefix}/${client}`]) : [client];

    // Stable sort: priority first, then the order credentials were given in.
    const ordered = credentials
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !c.disabled)
      .sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
      .map(({ c }) => c);

    for (const c of ordered) {
      pins.set(c, providerKeys(c));
      const names: string[] = [];
      const served = servedModels(c, config);
      for (const m of served.models) {
        const candidate: RouteCandidate = Object.freeze({
          credential: c,
          upstreamModel: m.upstream,
          stateModel: m.upstream,
        });
        for (const name of visibleNames(c, m.client)) {
          let list = lists.get(name);
          if (!list) lists.set(name, (list = []));
          list.push(candidate);
          names.push(name);
        }
      }
      perCredential.set(c.authIndex, Object.freeze(names));
      const route = familyRoute(c, served);
      if (route) families.push(route);
    }

    // Names a disabled credential would serve: such a model is known (503 while they are off),
    // not unknown (400).
    const disabledNames = new Map<string, string[][]>();
    const disabledFamilies: FamilyRoute[] = [];
    for (const c of credentials) {
      if (!c.disabled) continue;
      const keys = providerKeys(c);
      const served = servedModels(c, config);
      for (const m of served.models) {
        for (const name of visibleNames(c, m.client)) {
          const list = disabledNames.get(name);
          if (list) list.push(keys);
          else disabledNames.set(name, [keys]);
        }
      }
      const route = familyRoute(c, served);
      if (route) disabledFamilies.push(route);
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
    return new ModelRegistry({
      index,
      listing: Object.freeze(listing),
      pins,
      perCredential,
      disabledNames,
      families: Object.freeze(families),
      disabledFamilies: Object.freeze(disabledFamilies),
      familyOf: new Map(families.map((r) => [r.credential.authIndex, r])),
      force,
    });
  }

  /** Number of client-visible model names (family names are not counted: they are unlisted). */
  get size(): number {
    return this.parts.index.size;
  }

  /**
   * Candidates for a client model, highest priority first. A thinking suffix (`model(high)`,
   * `model(8192)`) is ignored for the lookup and kept on `upstreamModel`. Credentials serving the
   * name explicitly or by catalog come first; only when there are none (after a provider pin)
   * do the credentials owning the name's family serve it. Empty when nothing can serve it.
   */
  resolve(clientModel: string, opts?: ResolveOptions): readonly RouteCandidate[] {
    const listed = this.resolveListed(clientModel, opts);
    if (listed.length > 0 || this.parts.families.length === 0) return listed;
    return this.resolveFamily(clientModel, opts);
  }

  /** Candidates from catalogs and explicit models only. */
  private resolveListed(clientModel: string, opts?: ResolveOptions): readonly RouteCandidate[] {
    let list = this.parts.index.get(clientModel);
    let suffix = '';
    if (!list) {
      const base = parseModelSuffix(clientModel).model;
      if (base !== clientModel) {
        list = this.parts.index.get(base);
        suffix = clientModel.slice(base.length);
      }
      if (!list) return EMPTY;
    }
    if (opts?.provider) {
      const want = opts.provider.trim().toLowerCase();
      list = list.filter((c) => this.parts.pins.get(c.credential)?.includes(want));
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

  /** Candidates from the family fallback, remembered per (pin, name). */
  private resolveFamily(clientModel: string, opts?: ResolveOptions): readonly RouteCandidate[] {
    const want = opts?.provider?.trim().toLowerCase() ?? '';
    const key = `${want}\n${clientModel}`;
    const known = this.familyMemo.get(key);
    if (known) return known;

    const base = parseModelSuffix(clientModel).model;
    const suffix = clientModel.slice(base.length);
    const out: RouteCandidate[] = [];
    for (const r of this.parts.families) {
      if (want && !r.keys.includes(want)) continue;
      const upstream = familyUpstream(r, base, this.parts.force);
      if (upstream === undefined) continue;
      // Cooldowns and quota are kept per name as sent (without suffix).
      out.push(
        Object.freeze({
          credential: r.credential,
          upstreamModel: upstream + suffix,
          stateModel: upstream,
        }),
      );
    }
    const list = out.length > 0 ? Object.freeze(out) : EMPTY;
    if (this.familyMemo.size >= FAMILY_MEMO_LIMIT) {
      const oldest = this.familyMemo.keys().next();
      if (!oldest.done) this.familyMemo.delete(oldest.value);
    }
    this.familyMemo.set(key, list);
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
    const base = parseModelSuffix(clientModel).model;
    for (const name of [clientModel, base]) {
      const keys = this.parts.disabledNames.get(name);
      if (keys && (!want || keys.some((k) => k.includes(want)))) return true;
    }
    return this.parts.disabledFamilies.some(
      (r) =>
        (!want || r.keys.includes(want)) && familyUpstream(r, base, this.parts.force) !== undefined,
    );
  }

  /**
   * True when the credential serves `upstreamModel` (suffix ignored) only through its family,
   * i.e. no catalog or explicit list of it names the model: an upstream 404 then says the name
   * may not exist at all rather than "not on this account".
   */
  servesByFamilyOnly(authIndex: string, upstreamModel: string): boolean {
    const model = parseModelSuffix(upstreamModel).model;
    const r = this.parts.familyOf.get(authIndex);
    return !!r && !r.listed.has(model.toLowerCase()) && r.family(model);
  }

  /** Exactly what is served by catalog or explicit models, sorted by id (optionally one provider's). */
  list(opts?: ResolveOptions): readonly ModelListEntry[] {
    if (!opts?.provider) return this.parts.listing;
    return this.parts.listing.filter((m) => this.resolveListed(m.id, opts).length > 0);
  }

  /**
   * Names only disabled credentials serve (by catalog or explicit models): known models with no
   * enabled credential at all, for the panel's "needs attention" list.
   */
  disabledOnly(): { model: string; providers: string[] }[] {
    const out: { model: string; providers: string[] }[] = [];
    for (const [model, keys] of this.parts.disabledNames) {
      if (this.parts.index.has(model)) continue;
      // A credential's first key is its provider (openai-compatibility: its entry name last).
      const providers = new Set(keys.map((k) => (k.length > 2 ? k[2] : k[0])));
      out.push({ model, providers: [...providers].sort() });
    }
    return out.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  }

  /** Client-visible names a credential serves (by auth index), for management listings. */
  modelsOf(authIndex: string): readonly string[] {
    return this.parts.perCredential.get(authIndex) ?? [];
  }
}
