import { randomBytes, randomUUID } from 'node:crypto';
import { loginError } from '@app/common';
import {
  resolveOAuthEndpoints,
  type OAuthEndpoints,
  type OAuthEndpointsConfig,
} from '@app/oauth/oauth-endpoints';
import type { OAuthHttp } from '@app/oauth/oauth-http.repository';
import {
  exchangeCode,
  exchangeDeviceCode,
  OAuthTokenError,
  requestDeviceCode,
  type TokenSet,
} from '@app/oauth/token-client';
import { AccountCallError, type OnboardOptions } from '@app/oauth/login/account.client';
import { buildAuthFile, type LoginAccount } from '@app/oauth/login/auth-file.builder';
import type { AuthFileSink } from '@app/oauth/login/auth-file.sink';
import { buildAuthorizeUrl } from '@app/oauth/login/authorize-url';
import { withSplitCode, type CallbackParams } from '@app/oauth/login/callback-input';
import { DevicePoller, type DevicePollStep } from '@app/oauth/login/device-poller';
import {
  loginSpec,
  normalizeLoginProvider,
  type LoginFlow,
  type LoginProvider,
} from '@app/oauth/login/login-provider';
import {
  LOGIN_SESSION_TTL_MS,
  type LoginSession,
  type LoginSessionStore,
  type LoginStatus,
} from '@app/oauth/login/login-session.types';
import { createPkce, newLoginState, stateProblem } from '@app/oauth/login/pkce';
import type { LoginContext } from '@app/oauth/login/login-module';
import { LOGIN_MODULES } from '@app/oauth/login/providers';
import { iflowCookieLogin } from '@app/oauth/login/providers/iflow.login';

/** Google Cloud's project list (for Gemini CLI `project_id=ALL`). */
export const GCP_PROJECTS_URL = 'https://cloudresourcemanager.googleapis.com/v1/projects';

/** What `/<provider>-auth-url` answers: where the user goes next. */
export interface LoginStart {
  state: string;
  /** The authorize URL, or the device verification URL. */
  url: string;
  flow: LoginFlow;
  /** Device flows: the code the user types. */
  userCode?: string;
  /** Device flows: seconds until the code expires. */
  expiresIn?: number;
}

/** A finished login: the auth file written. */
export interface LoginDone {
  fileName: string;
  path: string;
  email?: string;
}

/** `get-auth-status`: waiting, done, or failed with a reason. */
export type LoginStatusView =
  { status: 'wait' } | { status: 'ok'; fileName?: string } | { status: 'error'; error: string };

/** A callback delivered to `complete` (browser landing, pasted URL, CLI listener). */
export interface CompleteInput extends CallbackParams {
  /** The provider the caller believes this is (checked against the session). */
  provider?: string;
  /** Providers a landing path serves (`/google/callback` → gemini); checked like `provider`. */
  allowedProviders?: readonly LoginProvider[];
}

/** Tuning and collaborators of the login service. */
export interface LoginServiceOptions {
  /** This process's id for device-poll leases. */
  owner?: string;
  now?: () => number;
  /** Code Assist onboarding poll tuning (tests make it instant). */
  onboard?: OnboardOptions;
  /** Google Cloud project list URL (`project_id=ALL`). */
  projectsUrl?: string;
  /** Device-login sweep period (adopting logins whose poller died). */
  sweepMs?: number;
  log?: { log(msg: string): void; warn(msg: string): void };
}

/** Messages CLIProxyAPI's management UI shows, kept word for word where it has one. */
const MSG = {
  stateRequired: 'state is required',
  invalidState: 'invalid state',
  codeRequired: 'code or error is required',
  unknownState: 'unknown or expired state',
  providerMismatch: 'provider does not match state',
  unsupported: 'unsupported provider',
  notRedirect: 'this login uses a device code; there is no callback to deliver',
  alreadyUsed: 'this login was already completed; start a new login',
  inProgress: 'this login is being completed by another request',
} as const;

function describe(err: unknown): string {
  if (err instanceof OAuthTokenError || err instanceof AccountCallError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * OAuth logins for every provider (CLIProxyAPI's `*-auth-url`, callbacks, `get-auth-status`):
 * starts a login and stores its session, completes it exactly once whichever process the
 * callback reaches (exchange, account enrichment, auth file), and polls device flows.
 * Framework-free: the gateway and the login CLI both build one.
 */
export class LoginService {
  private readonly now: () => number;
  private readonly poller: DevicePoller;
  /** What login modules may call. */
  private readonly context: LoginContext;

  constructor(
    private readonly config: () => OAuthEndpointsConfig,
    private readonly http: OAuthHttp,
    private readonly store: LoginSessionStore,
    private readonly sink: AuthFileSink,
    private readonly opts: LoginServiceOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.context = {
      http,
      endpoints: (provider) => resolveOAuthEndpoints(this.config(), provider),
      projectsUrl: opts.projectsUrl ?? GCP_PROJECTS_URL,
      onboard: opts.onboard,
      log: opts.log,
    };
    this.poller = new DevicePoller(store, (state) => this.pollDevice(state), {
      owner: opts.owner ?? randomBytes(6).toString('hex'),
      sweepMs: opts.sweepMs,
      onError: (state, err) => opts.log?.warn(`device login ${state}: ${describe(err)}`),
    });
  }

  /** The endpoints a provider's login uses now (config overrides applied). */
  endpoints(provider: LoginProvider): OAuthEndpoints {
    return resolveOAuthEndpoints(this.config(), loginSpec(provider).oauth);
  }

  /** Adopt device logins whose poller died (call once per long-running process). */
  startBackgroundPolling(): void {
    this.poller.startSweeping();
  }

  /** Stop polling (leases are released so another process carries on). */
  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /**
   * Start a login: a browser URL (redirect flows) or a device code (Qwen, Kimi, whose polling
   * starts here). `projectId` is Gemini CLI's `?project_id=` (a project or `ALL`).
   */
  async start(provider: LoginProvider, opts: { projectId?: string } = {}): Promise<LoginStart> {
    const spec = loginSpec(provider);
    const ep = this.endpoints(provider);
    const state = newLoginState();
    const session: LoginSession = { state, provider, createdAt: this.now() };
    const pkce = spec.pkce ? createPkce() : undefined;
    if (pkce) session.codeVerifier = pkce.verifier;

    if (spec.flow === 'device') {
      const deviceId = spec.mintsDeviceId ? randomUUID() : undefined;
      let dc;
      try {
        dc = await requestDeviceCode(
          this.http,
          ep,
          { codeChallenge: pkce?.challenge },
          { deviceId },
        );
      } catch (err) {
        throw loginError(502, `could not start the ${spec.label} device login: ${describe(err)}`);
      }
      const ttl = Math.min(LOGIN_SESSION_TTL_MS, dc.expiresIn * 1000);
      session.device = {
        deviceCode: dc.deviceCode,
        userCode: dc.userCode,
        verificationUri: dc.verificationUri,
        intervalMs: Math.max(1, dc.interval) * 1000,
        expiresAt: this.now() + ttl,
        deviceId,
      };
      await this.store.create(session, LOGIN_SESSION_TTL_MS);
      this.poller.track(state, session.device.intervalMs);
      return {
        state,
        flow: 'device',
        url: dc.verificationUriComplete ?? dc.verificationUri,
        userCode: dc.userCode || undefined,
        expiresIn: Math.round(ttl / 1000),
      };
    }

    const redirectUri = ep.redirectUri;
    if (!redirectUri) {
      throw loginError(500, `no redirect-uri for ${spec.oauth} in oauth-endpoints`);
    }
    session.redirectUri = redirectUri;
    if (spec.asksProject && opts.projectId?.trim()) session.projectId = opts.projectId.trim();
    const url = buildAuthorizeUrl(provider, ep, {
      state,
      redirectUri,
      codeChallenge: pkce?.challenge,
    });
    await this.store.create(session, LOGIN_SESSION_TTL_MS);
    return { state, url, flow: 'redirect' };
  }

  /** Where a login stands (`get-auth-status`). Throws AppError(400) for a malformed state. */
  async status(state: string): Promise<LoginStatusView> {
    if (stateProblem(state)) throw loginError(400, MSG.invalidState);
    const rec = await this.store.get(state);
    if (!rec) return { status: 'error', error: MSG.unknownState };
    return this.view(rec.status, rec.error, rec.fileName);
  }

  private view(status: LoginStatus, error?: string, fileName?: string): LoginStatusView {
    switch (status) {
      case 'wait':
      case 'exchanging':
        return { status: 'wait' };
      case 'ok':
        return { status: 'ok', fileName };
      case 'error':
        return { status: 'error', error: error ?? 'Authentication failed' };
    }
  }

  /**
   * Deliver a redirect's result and finish the login: claim the session (exactly one caller
   * wins, on any replica), exchange the code, enrich the account, write the auth file.
   * Throws AppError when the callback is refused or the login fails.
   */
  async complete(input: CompleteInput): Promise<LoginDone> {
    const params = withSplitCode(input);
    const state = params.state;
    if (!state) throw loginError(400, MSG.stateRequired);
    if (stateProblem(state)) throw loginError(400, MSG.invalidState);
    if (!params.code && !params.error) throw loginError(400, MSG.codeRequired);

    const rec = await this.store.get(state);
    if (!rec) throw loginError(404, MSG.unknownState);
    const provider = rec.session.provider;
    if (input.provider !== undefined) {
      const named = normalizeLoginProvider(input.provider);
      if (!named) throw loginError(400, MSG.unsupported);
      if (named !== provider) throw loginError(400, MSG.providerMismatch);
    }
    if (input.allowedProviders && !input.allowedProviders.includes(provider)) {
      throw loginError(400, MSG.providerMismatch);
    }
    if (loginSpec(provider).flow !== 'redirect') throw loginError(400, MSG.notRedirect);

    const claim = await this.store.claim(state);
    if (!claim.claimed) {
      const r = claim.record;
      if (!r) throw loginError(404, MSG.unknownState);
      if (r.status === 'error') throw loginError(409, r.error ?? 'Authentication failed');
      throw loginError(409, r.status === 'ok' ? MSG.alreadyUsed : MSG.inProgress);
    }
    const session = claim.session;
    if (params.error) {
      return this.fail(state, 400, `Authentication failed: ${params.error}`);
    }

    const ep = this.endpoints(provider);
    let token: TokenSet;
    try {
      token = await exchangeCode(this.http, ep, {
        code: params.code as string,
        redirectUri: session.redirectUri,
        codeVerifier: session.codeVerifier,
        state,
      });
    } catch (err) {
      return this.fail(
        state,
        502,
        `Failed to exchange authorization code for tokens: ${describe(err)}`,
      );
    }
    return this.finishWith(session, token);
  }

  /** Record a failure on the session and throw it. */
  private async fail(state: string, status: number, error: string): Promise<never> {
    await this.store.finish(state, { status: 'error', error }).catch(() => undefined);
    throw loginError(status, error);
  }

  /** Enrich, write the auth file, mark the session done. */
  private async finishWith(session: LoginSession, token: TokenSet): Promise<LoginDone> {
    let account: LoginAccount;
    try {
      account = await this.enrich(session, token);
    } catch (err) {
      return this.fail(session.state, 502, describe(err));
    }
    const draft = buildAuthFile(account, this.now());
    let path: string;
    try {
      path = await this.sink.write(draft.name, draft.json);
    } catch (err) {
      return this.fail(
        session.state,
        500,
        `Failed to save authentication tokens: ${describe(err)}`,
      );
    }
    await this.store.finish(session.state, { status: 'ok', fileName: draft.name });
    this.opts.log?.log(`${loginSpec(session.provider).label} login saved ${draft.name}`);
    return { fileName: draft.name, path, email: draft.email };
  }

  /** Fetch what the auth file needs beyond the tokens, through the flow's login module. */
  private enrich(session: LoginSession, token: TokenSet): Promise<LoginAccount> {
    return LOGIN_MODULES[session.provider].account(this.context, session, token);
  }

  /** One poll of a device login (the DevicePoller's step). */
  async pollDevice(state: string): Promise<DevicePollStep> {
    const rec = await this.store.get(state);
    const device = rec?.session.device;
    if (!rec || rec.status !== 'wait' || !device) return { done: true, intervalMs: 0 };
    const session = rec.session;
    if (this.now() >= device.expiresAt) {
      if ((await this.store.claim(state)).claimed) {
        await this.store.finish(state, {
          status: 'error',
          error: 'The device code expired before the login was approved; start the login again',
        });
      }
      return { done: true, intervalMs: 0 };
    }
    const ep = this.endpoints(session.provider);
    let result;
    try {
      result = await exchangeDeviceCode(
        this.http,
        ep,
        { deviceCode: device.deviceCode, codeVerifier: session.codeVerifier },
        { deviceId: device.deviceId },
      );
    } catch (err) {
      if (err instanceof OAuthTokenError && !err.permanent) throw err; // retried next interval
      if ((await this.store.claim(state)).claimed) {
        await this.store.finish(state, {
          status: 'error',
          error: `Authentication failed: ${describe(err)}`,
        });
      }
      return { done: true, intervalMs: 0 };
    }
    if (result.status === 'pending') return { done: false, intervalMs: device.intervalMs };
    if (result.status === 'slow_down') {
      // RFC 8628 section 3.5: add 5 seconds for this and every later poll.
      const slower = { ...device, intervalMs: device.intervalMs + 5000 };
      await this.store.updateDevice(state, slower);
      return { done: false, intervalMs: slower.intervalMs };
    }
    const claim = await this.store.claim(state);
    if (!claim.claimed) return { done: true, intervalMs: 0 };
    await this.finishWith(claim.session, result.token).catch(() => undefined);
    return { done: true, intervalMs: 0 };
  }

  /**
   * iFlow's cookie login (`POST /iflow-auth-url {cookie}`): no browser round trip, the platform
   * trades the web session's `BXAuth` cookie for an API key. A cookie already saved in another
   * auth file is refused (409) so one account is not added twice.
   */
  async loginWithIflowCookie(
    cookie: string,
  ): Promise<LoginDone & { expired?: string; type: 'iflow' }> {
    return iflowCookieLogin(this.context, this.sink, cookie, this.now());
  }

  /**
   * Wait until a login finishes (the CLI: the callback may be handled by a gateway, a local
   * listener or a pasted URL). Resolves with the final status; `wait` only when `signal` aborts
   * or `timeoutMs` passes.
   */
  async waitFor(
    state: string,
    opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
  ): Promise<LoginStatusView> {
    const end = this.now() + opts.timeoutMs;
    for (;;) {
      const view = await this.status(state);
      if (view.status !== 'wait') return view;
      if (opts.signal?.aborted || this.now() >= end) return view;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.intervalMs ?? 500);
        opts.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
