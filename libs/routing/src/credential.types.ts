import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { CredentialProvider } from '@app/providers';

/**
 * The provider a credential is used with (every row of the registry in libs/providers).
 * `openai-compatibility` credentials also carry the entry's name (`compatName`), which is how
 * `/api/provider/<name>/...` pins them.
 */
export type { CredentialProvider } from '@app/providers';
/** Every provider id, for validation and listings. */
export { CREDENTIAL_PROVIDERS } from '@app/providers';

/** `api-key`: a key from config.yaml; `oauth`: an auth file (tokens or a service account). */
export type CredentialKind = 'api-key' | 'oauth';

/** Where the credential was loaded from. */
export type CredentialSource = 'config' | 'file';

/** One explicit model of a credential: `name` is sent upstream, `alias` is what clients ask for. */
export interface ModelMapping {
  readonly name: string;
  readonly alias?: string;
}

/** The secret material a provider needs; never listed, logged or serialised. */
export interface CredentialSecret {
  /** API key (config entries, iFlow, AI Studio). */
  readonly apiKey?: string;
  /** OAuth access token. */
  readonly accessToken?: string;
  readonly refreshToken?: string;
  /** OpenID id_token (Claude, Codex). */
  readonly idToken?: string;
  /** Access-token expiry, epoch milliseconds. */
  readonly expiresAt?: number;
  /** Google Cloud project (Gemini CLI, Antigravity, Vertex); comma-separated when several. */
  readonly projectId?: string;
  /** ChatGPT account id (Codex). */
  readonly accountId?: string;
  /** Qwen's per-account API host. */
  readonly resourceUrl?: string;
  /** Vertex region. */
  readonly location?: string;
  /** Vertex service-account JSON, verbatim. */
  readonly serviceAccount?: Readonly<Record<string, unknown>>;
  /** Kimi device-flow id. */
  readonly deviceId?: string;
  /** iFlow web cookie. */
  readonly cookie?: string;
}

/** What a credential looks like in listings, logs and management responses: no secrets. */
export interface CredentialPublicView {
  id: string;
  auth_index: string;
  provider: CredentialProvider;
  compat_name?: string;
  channel: string;
  kind: CredentialKind;
  source: CredentialSource;
  file_name?: string;
  label: string;
  email?: string;
  priority: number;
  prefix?: string;
  base_url?: string;
  proxy_url?: string;
  /** Header names only; values may be secrets. */
  header_names: string[];
  models?: ModelMapping[];
  excluded_models: string[];
  disabled: boolean;
  plan_type?: string;
  /** Access-token expiry as an ISO timestamp. */
  expires_at?: string;
  has_refresh_token: boolean;
}

/** Everything needed to construct a Credential. */
export interface CredentialInit {
  id: string;
  /** The identity `authIndex` is derived from (see `authIndexOf`). */
  indexSeed: string;
  provider: CredentialProvider;
  compatName?: string;
  channel: string;
  kind: CredentialKind;
  source: CredentialSource;
  fileName?: string;
  label: string;
  email?: string;
  priority?: number;
  prefix?: string;
  baseUrl?: string;
  proxyUrl?: string;
  headers?: Readonly<Record<string, string>>;
  models?: readonly ModelMapping[];
  excludedModels?: readonly string[];
  disabled?: boolean;
  /** Per-credential override of config `disable-cooling`. */
  disableCooling?: boolean;
  /** ChatGPT plan (Codex id_token claim). */
  planType?: string;
  secret: CredentialSecret;
}

/**
 * `auth_index`: the first 16 hex characters of SHA-256 of the credential's identity, as
 * CLIProxyAPI computes it. Files use `file:<name>`; config entries use `configIndexSeed`.
 */
export function authIndexOf(seed: string): string {
  return createHash('sha256').update(seed.trim()).digest('hex').slice(0, 16);
}

/**
 * Identity of a config.yaml API-key entry, following CLIProxyAPI's seed for non-file
 * credentials: `config:` + NUL-joined `provider=`, `compat=` (lower-cased entry name),
 * `base=`, `proxy=`, `api_key=` parts, empty parts left out. A `dup=<n>` part is added for the
 * n-th repeat of an identical entry so every credential keeps its own index.
 */
export function configIndexSeed(parts: {
  provider: string;
  compatName?: string;
  baseUrl?: string;
  proxyUrl?: string;
  apiKey?: string;
  duplicate?: number;
}): string {
  const out = [`provider=${parts.provider.toLowerCase()}`];
  if (parts.compatName) out.push(`compat=${parts.compatName.toLowerCase()}`);
  if (parts.baseUrl) out.push(`base=${parts.baseUrl}`);
  if (parts.proxyUrl) out.push(`proxy=${parts.proxyUrl}`);
  if (parts.apiKey) out.push(`api_key=${parts.apiKey}`);
  if (parts.duplicate) out.push(`dup=${parts.duplicate}`);
  return `config:${out.join('\x00')}`;
}

/** Hide the password of a proxy URL (`socks5://user:pass@host`) for listings. */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '****';
    return u.toString();
  } catch {
    return url.includes('@') ? '(unparseable url with credentials)' : url;
  }
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_LIST: readonly string[] = Object.freeze([]);

/**
 * One upstream credential: an API key from config.yaml or an auth file. Immutable. The secret
 * lives in a private field, so `JSON.stringify`, spreading, `toString()` and `util.inspect`
 * all show the public view only; executors read it through `secret`.
 */
export class Credential {
  /** Stable id: `file:<name>` or `config:<section>[i]`. */
  readonly id: string;
  /** 16 hex characters, stable across restarts and replicas; keys the runtime state. */
  readonly authIndex: string;
  readonly provider: CredentialProvider;
  /** The openai-compatibility entry's name. */
  readonly compatName: string | undefined;
  /** Key into `oauth-model-alias` / `oauth-excluded-models` and the model catalog. */
  readonly channel: string;
  readonly kind: CredentialKind;
  readonly source: CredentialSource;
  readonly fileName: string | undefined;
  /** Email or masked key; never the raw key. */
  readonly label: string;
  readonly email: string | undefined;
  readonly priority: number;
  readonly prefix: string | undefined;
  readonly baseUrl: string | undefined;
  /** Explicit models (config `models`); undefined means "the channel's catalog". */
  readonly models: readonly ModelMapping[] | undefined;
  /** This credential's own exclusion patterns (global ones are applied by the registry). */
  readonly excludedModels: readonly string[];
  readonly disabled: boolean;
  readonly disableCooling: boolean | undefined;
  readonly planType: string | undefined;
  readonly #secret: CredentialSecret;
  // Proxy URLs and header values may embed credentials: private, like the secret.
  readonly #proxyUrl: string | undefined;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(init: CredentialInit) {
    this.id = init.id;
    this.authIndex = authIndexOf(init.indexSeed);
    this.provider = init.provider;
    this.compatName = init.compatName;
    this.channel = init.channel;
    this.kind = init.kind;
    this.source = init.source;
    this.fileName = init.fileName;
    this.label = init.label;
    this.email = init.email;
    this.priority = init.priority ?? 0;
    this.prefix = init.prefix || undefined;
    this.baseUrl = init.baseUrl || undefined;
    this.#proxyUrl = init.proxyUrl || undefined;
    this.#headers = init.headers ? Object.freeze({ ...init.headers }) : EMPTY_HEADERS;
    this.models = init.models
      ? Object.freeze(init.models.map((m) => Object.freeze({ ...m })))
      : undefined;
    this.excludedModels = init.excludedModels
      ? Object.freeze([...init.excludedModels])
      : EMPTY_LIST;
    this.disabled = init.disabled ?? false;
    this.disableCooling = init.disableCooling;
    this.planType = init.planType;
    this.#secret = Object.freeze({ ...init.secret });
    Object.freeze(this);
  }

  /** The secret material (API key, tokens, project…). Never log or list it. */
  get secret(): CredentialSecret {
    return this.#secret;
  }

  /** Outbound proxy for this credential (`http`, `https`, `socks5`; may carry a password). */
  get proxyUrl(): string | undefined {
    return this.#proxyUrl;
  }

  /** Extra headers sent upstream (values may be secrets). */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /** The key or token to present upstream: API key first, then the OAuth access token. */
  get token(): string | undefined {
    return this.#secret.apiKey ?? this.#secret.accessToken;
  }

  /** A listing-safe view: no key, no token, no header values. */
  publicView(): CredentialPublicView {
    const s = this.#secret;
    const view: CredentialPublicView = {
      id: this.id,
      auth_index: this.authIndex,
      provider: this.provider,
      channel: this.channel,
      kind: this.kind,
      source: this.source,
      label: this.label,
      priority: this.priority,
      header_names: Object.keys(this.headers),
      excluded_models: [...this.excludedModels],
      disabled: this.disabled,
      has_refresh_token: !!s.refreshToken,
    };
    if (this.compatName) view.compat_name = this.compatName;
    if (this.fileName) view.file_name = this.fileName;
    if (this.email) view.email = this.email;
    if (this.prefix) view.prefix = this.prefix;
    if (this.baseUrl) view.base_url = this.baseUrl;
    if (this.proxyUrl) view.proxy_url = redactUrlPassword(this.proxyUrl);
    if (this.models) view.models = this.models.map((m) => ({ ...m }));
    if (this.planType) view.plan_type = this.planType;
    if (s.expiresAt !== undefined) view.expires_at = new Date(s.expiresAt).toISOString();
    return view;
  }

  toJSON(): CredentialPublicView {
    return this.publicView();
  }

  toString(): string {
    return `Credential(${this.id} ${this.provider} ${this.label})`;
  }

  [inspect.custom](): CredentialPublicView {
    return this.publicView();
  }
}
