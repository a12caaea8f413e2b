import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { PROVIDERS, type ProviderId, parseModelSuffix } from '@app/llm';
import { isProviderId, wireOf } from '@app/providers';
import { needsInlineRefresh, TokenRefreshService } from '@app/oauth';
import {
  CredentialService,
  type Credential,
  type RouteCandidate,
  type SelectionResult,
} from '@app/routing';
import { RelayDirectory, relayCandidate } from '@app/proxy/relay/relay-directory';
import {
  CandidateSource,
  type Candidate,
  type Plan,
  type ServedModel,
} from '@app/proxy/candidate-source';

/** What candidate building reads from config.yaml. */
export interface CandidateSettings {
  /** `provider-base-urls`: provider id → base URL replacing the built-in one. */
  readonly baseUrls: Readonly<Record<string, string | undefined>>;
  /** Global `proxy-url` ('' = none). */
  readonly proxyUrl: string;
}

const SCHEME = /^https?:\/\//i;
const TRAILING_SLASHES = /\/+$/;

/** An API version already at the end of a URL (`/v1`). */
const VERSION_SUFFIX = /\/v\d+$/i;

/**
 * Base URL of a Qwen account from its `resource_url`: CLIProxyAPI's `https://<host>/v1`. A value
 * that already names a scheme keeps it (a relay or test server over plain http), and one that
 * already ends in a version (`https://host/v1`) does not get a second one.
 */
export function qwenBaseUrl(resourceUrl: string | undefined): string | undefined {
  const raw = resourceUrl?.trim().replace(TRAILING_SLASHES, '');
  if (!raw) return undefined;
  const url = SCHEME.test(raw) ? raw : `https://${raw}`;
  return VERSION_SUFFIX.test(url) ? url : `${url}/v1`;
}

/** `direct` and `none` on an entry mean "no proxy, not even the global one". */
function effectiveProxy(own: string | undefined, global: string): string | undefined {
  const pick = own?.trim() || global.trim();
  if (!pick) return undefined;
  const lower = pick.toLowerCase();
  return lower === 'direct' || lower === 'none' ? undefined : pick;
}

/**
 * Where a credential is called: the entry's own `base-url`, else the account's `resource_url`
 * for providers whose accounts have their own host (Qwen), else `provider-base-urls`, else the
 * adapter default (undefined).
 */
export function effectiveBaseUrl(
  c: Credential,
  baseUrls: CandidateSettings['baseUrls'],
): string | undefined {
  if (c.baseUrl) return c.baseUrl;
  if (isProviderId(c.provider) && wireOf(c.provider).accountBaseUrl) {
    const own = qwenBaseUrl(c.secret.resourceUrl);
    if (own) return own;
  }
  return baseUrls[c.provider] || undefined;
}

/** The credential as the proxy calls it, or undefined when it cannot be called over HTTP. */
export function toCandidate(
  rc: RouteCandidate,
  settings: CandidateSettings = { baseUrls: {}, proxyUrl: '' },
): Candidate | undefined {
  const c: Credential = rc.credential;
  if (!(c.provider in PROVIDERS)) return undefined; // aistudio travels over the WebSocket relay
  const token = c.token;
  if (!token) return undefined;
  const secret = c.secret;
  return {
    credentialId: c.id,
    authIndex: c.authIndex,
    provider: c.provider as ProviderId,
    label: c.label,
    upstreamModel: rc.upstreamModel,
    stateModel: rc.stateModel,
    baseUrl: effectiveBaseUrl(c, settings.baseUrls),
    proxyUrl: effectiveProxy(c.proxyUrl, settings.proxyUrl),
    headers: c.headers,
    token,
    oauth: c.kind === 'oauth',
    accountId: secret.accountId,
    project: secret.projectId,
    location: secret.location,
  };
}

/** CandidateSource over libs/routing: registry, shared selection and cooldown state. */
@Injectable()
export class RoutingCandidateSource extends CandidateSource {
  private readonly logger = new Logger('Routing');

  constructor(
    private readonly routing: CredentialService,
    private readonly config: ConfigService,
    private readonly tokens: TokenRefreshService,
    /** Live `/v1/ws` connections (aistudio credentials). */
    private readonly relays: RelayDirectory,
  ) {
    super();
  }

  async plan(model: string, opts: { provider?: string }): Promise<Plan> {
    const r = await this.select(model, opts.provider);
    if (r.kind === 'none') return { kind: 'none' };
    if (r.kind === 'cooldown') return { kind: 'cooldown', retryAfterSec: r.retryAfterSeconds };
    const cfg = this.config.current;
    const settings: CandidateSettings = {
      baseUrls: cfg['provider-base-urls'],
      proxyUrl: cfg['proxy-url'],
    };
    const candidates: Candidate[] = [];
    const now = Date.now();
    for (const rc of r.candidates) {
      let route = rc;
      // Never send a token known to be expired (worker down): the first usable candidate waits
      // for its refresh (shared with the worker through a Redis lock); later failover ones are
      // refreshed in the background and left out of this request.
      if (needsInlineRefresh(rc.credential, now)) {
        if (candidates.length > 0) {
          this.tokens.refreshInBackground(rc.credential);
          continue;
        }
        const fresh = await this.tokens.ensureFresh(rc.credential, now);
        if (!fresh) continue;
        route = { ...rc, credential: fresh };
      }
      const cand =
        route.credential.provider === 'aistudio'
          ? relayCandidate(route)
          : toCandidate(route, settings);
      if (cand) candidates.push(cand);
    }
    return candidates.length > 0 ? { kind: 'ok', candidates } : { kind: 'none' };
  }

  /** The routing pick, with live relay credentials joining the candidates when there are any. */
  private select(model: string, provider: string | undefined): Promise<SelectionResult> {
    if (this.relays.size === 0) return this.routing.pick(model, { provider });
    const relayed = this.relays.registry().resolve(model, { provider });
    if (relayed.length === 0) return this.routing.pick(model, { provider });
    const merged = [...this.routing.resolve(model, { provider }), ...relayed];
    return this.routing.selector.select(parseModelSuffix(model).model, merged);
  }

  override serves(model: string, opts: { provider?: string }): boolean {
    if (this.routing.resolve(model, opts).length > 0) return true;
    return this.relays.size > 0 && this.relays.registry().has(model, opts);
  }

  override knows(model: string, opts: { provider?: string }): boolean {
    return this.routing.knows(model, opts) || this.serves(model, opts);
  }

  async reportFailure(
    c: Candidate,
    status: number,
    retryAfterSec: number | undefined,
    message: string,
  ): Promise<void> {
    try {
      await this.routing.reportFailure({
        authIndex: c.authIndex,
        model: c.stateModel,
        status,
        retryAfterSeconds: retryAfterSec,
        message,
      });
    } catch (err) {
      this.logger.warn(`cooldown bookkeeping failed: ${(err as Error).message}`);
    }
  }

  reportSuccess(c: Candidate): void {
    this.routing.reportSuccess(c.authIndex, c.stateModel).catch(() => undefined);
  }

  listModels(opts: { provider?: string }): ServedModel[] {
    let list = this.routing.listModels({ provider: opts.provider });
    if (this.relays.size > 0) {
      const seen = new Set(list.map((m) => m.id));
      const extra = this.relays
        .registry()
        .list(opts)
        .filter((m) => !seen.has(m.id));
      if (extra.length > 0)
        list = [...list, ...extra].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    return list.map((m) => ({
      id: m.id,
      ownedBy: m.owned_by,
      provider: m.provider,
      created: m.created,
      displayName: m.display_name,
    }));
  }
}
