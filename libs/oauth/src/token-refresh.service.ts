import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ConfigService } from '@app/config';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { applyTokenSet } from '@app/oauth/auth-file-update';
import {
  isOAuthProvider,
  resolveOAuthEndpoints,
  type OAuthEndpoints,
  type OAuthProviderId,
} from '@app/oauth/oauth-endpoints';
import { OAuthHttpRepository } from '@app/oauth/oauth-http.repository';
import { refreshLockName, tokenFingerprint } from '@app/oauth/refresh-schedule';
import { OAuthTokenError, refreshToken } from '@app/oauth/token-client';
import {
  CredentialService,
  parseAuthFileJson,
  type AuthDirRepository,
  type AuthFileUpdate,
  type Credential,
} from '@app/routing';
import { ConfigStoreUnavailableError, LeaseRepository, RedisService } from '@app/storage';

/**
 * How a refresh decides whether it is still needed once it holds the lock:
 * - `scheduled`: the worker's job; refresh unless the token changed since it was scheduled,
 * - `inline`: a gateway request; refresh only if the token is (about to be) expired,
 * - `force`: always (management "refresh now").
 */
export type RefreshMode = 'scheduled' | 'inline' | 'force';

/** What one refresh attempt did. */
export type RefreshOutcome =
  | { status: 'refreshed'; credential: Credential }
  /** Someone else refreshed first, or the token did not need it: here is the current one. */
  | { status: 'current'; credential: Credential }
  /** Nothing to do: the file is gone, carries no refresh token, or is marked errored. */
  | { status: 'skipped'; reason: string };

/** Where a refresh was asked from (a metric label). */
export type RefreshOrigin = 'worker' | 'inline';

/** An access token this close to expiry is treated as expired on the request path. */
export const INLINE_EXPIRY_SKEW_MS = 30_000;
/**
 * A lease, not a long lock: the holder renews it every LOCK_RENEW_MS while it works (a token call
 * may take up to its 30 s timeout), so a holder that dies frees the lock within LOCK_TTL_MS.
 */
const LOCK_TTL_MS = 10_000;
const LOCK_RENEW_MS = 3_000;
/** A waiter gives up after this long and lets the caller fail over. */
const WAIT_LIMIT_MS = 50_000;
const WAIT_STEP_MS = 100;
/** How long a refreshed token waits for an unreachable config store before giving up. */
const PERSIST_WAIT_MS = 30_000;
const PERSIST_RETRY_MS = 1_000;

/** True when the credential can be refreshed here (an OAuth auth file with a refresh token). */
export function isRefreshable(c: Credential): boolean {
  return (
    c.kind === 'oauth' &&
    c.source === 'file' &&
    c.fileName !== undefined &&
    isOAuthProvider(c.provider) &&
    !!c.secret.refreshToken
  );
}

/**
 * Hot-path check: would the proxy send an expired token with this credential? One that calls
 * with an API key (iFlow's chat API takes the key its login yields) is left to the worker: the
 * key outlives the access token.
 */
export function needsInlineRefresh(c: Credential, now: number): boolean {
  if (!isRefreshable(c)) return false;
  if (c.secret.apiKey) return false;
  const s = c.secret;
  if (!s.accessToken) return true;
  return s.expiresAt !== undefined && s.expiresAt <= now + INLINE_EXPIRY_SKEW_MS;
}

/**
 * Refreshes OAuth tokens under a Redis lock shared by every worker and gateway, so one
 * credential is refreshed once however many processes notice it. The holder re-reads the auth
 * file first (someone may have just refreshed it), calls the provider, writes the file
 * atomically with only the token fields changed, and announces the change so every replica
 * reloads. A revoked refresh token marks the credential `error` so routing skips it.
 */
@Injectable()
export class TokenRefreshService {
  private readonly logger = new Logger('TokenRefresh');
  private readonly inflight = new Map<string, Promise<RefreshOutcome>>();
  private readonly results: Counter<'provider' | 'result' | 'origin'>;
  private readonly leases: LeaseRepository;

  constructor(
    private readonly credentials: CredentialService,
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    private readonly http: OAuthHttpRepository,
    metrics: MetricsService,
  ) {
    this.leases = new LeaseRepository(redis);
    this.results = new Counter({
      name: `${METRIC_PREFIX}oauth_refresh_total`,
      help: 'OAuth token refreshes by provider, result (success, invalid_grant, failure) and origin',
      labelNames: ['provider', 'result', 'origin'],
      registers: [metrics.registry],
    });
  }

  /** The endpoints of a provider as config.yaml currently says. */
  endpoints(provider: OAuthProviderId): OAuthEndpoints {
    return resolveOAuthEndpoints(this.config.current, provider);
  }

  /**
   * Refresh one credential (by auth index). Concurrent calls in this process share one attempt;
   * other processes wait on the Redis lock. Throws OAuthTokenError when the provider refuses.
   */
  refresh(
    authIndex: string,
    mode: RefreshMode,
    opts: { expectedExpiresAt?: number; origin?: RefreshOrigin } = {},
  ): Promise<RefreshOutcome> {
    let p = this.inflight.get(authIndex);
    if (!p) {
      p = this.run(authIndex, mode, opts.expectedExpiresAt, opts.origin ?? 'worker').finally(() =>
        this.inflight.delete(authIndex),
      );
      this.inflight.set(authIndex, p);
    }
    return p;
  }

  /**
   * The request path's guard: a credential whose token is usable comes back as it is; an
   * expired one is refreshed (or waited for) first. Undefined when no usable token can be had.
   */
  async ensureFresh(
    c: Credential,
    now = Date.now(),
    origin: RefreshOrigin = 'inline',
  ): Promise<Credential | undefined> {
    if (!needsInlineRefresh(c, now)) return c;
    try {
      const out = await this.refresh(c.authIndex, 'inline', { origin });
      if (out.status === 'skipped') return undefined;
      return needsInlineRefresh(out.credential, Date.now()) ? undefined : out.credential;
    } catch (err) {
      this.logger.warn(`inline refresh of ${c.label} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Start an inline refresh without waiting (failover candidates further down the list). */
  refreshInBackground(c: Credential): void {
    this.refresh(c.authIndex, 'inline', { origin: 'inline' }).catch((err: unknown) =>
      this.logger.debug(`background refresh of ${c.label} failed: ${(err as Error).message}`),
    );
  }

  private async run(
    authIndex: string,
    mode: RefreshMode,
    expectedExpiresAt: number | undefined,
    origin: RefreshOrigin,
  ): Promise<RefreshOutcome> {
    const known = this.credentials.snapshot().byAuthIndex.get(authIndex);
    if (!known || !isRefreshable(known)) {
      return { status: 'skipped', reason: 'not an OAuth auth file with a refresh token' };
    }
    const lockKey = this.redis.key('oauth', refreshLockName(authIndex));
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const lock = await this.acquire(lockKey);
      if (lock !== undefined) {
        const renew = setInterval(() => void this.renew(lockKey, lock), LOCK_RENEW_MS);
        renew.unref();
        try {
          return await this.refreshHeld(known, mode, expectedExpiresAt, origin);
        } finally {
          clearInterval(renew);
          await this.release(lockKey, lock);
        }
      }
      // Another process is refreshing: wait for it, then see what it left in the file.
      await this.waitUnlocked(lockKey, deadline);
      const current = await this.readCredential(known);
      if (!current) return { status: 'skipped', reason: 'auth file is gone' };
      if (!this.stillNeeded(current, mode, expectedExpiresAt)) {
        return { status: 'current', credential: current };
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for another process to refresh ${known.label}`);
      }
    }
  }

  /** With the lock held: re-read, decide, call the provider, write, announce. */
  private async refreshHeld(
    known: Credential,
    mode: RefreshMode,
    expectedExpiresAt: number | undefined,
    origin: RefreshOrigin,
  ): Promise<RefreshOutcome> {
    const fileName = known.fileName as string;
    const repo = this.credentials.authFiles;
    if (!repo) return { status: 'skipped', reason: 'no auth dir' };
    let json: Record<string, unknown>;
    let current: Credential;
    try {
      json = JSON.parse(await repo.read(fileName)) as Record<string, unknown>;
      current = parseAuthFileJson(fileName, json);
    } catch (err) {
      return { status: 'skipped', reason: `auth file unreadable: ${(err as Error).message}` };
    }
    if (!isRefreshable(current)) return { status: 'skipped', reason: 'no refresh token' };
    if (!this.stillNeeded(current, mode, expectedExpiresAt)) {
      return { status: 'current', credential: current };
    }
    const provider = current.provider as OAuthProviderId;
    const token = current.secret.refreshToken as string;
    const fingerprint = tokenFingerprint(token);
    const marked = this.credentials.state.errorOf(current.authIndex);
    if (marked && marked.fingerprint === fingerprint && mode !== 'force') {
      return { status: 'skipped', reason: `marked error: ${marked.message}` };
    }

    let tokens;
    try {
      tokens = await refreshToken(this.http, this.endpoints(provider), token, {
        proxyUrl: current.proxyUrl,
        deviceId: current.secret.deviceId,
      });
    } catch (err) {
      if (err instanceof OAuthTokenError && err.permanent) {
        this.results.inc({ provider, result: 'invalid_grant', origin });
        await this.credentials.state.markError(current.authIndex, {
          message: `Refresh token rejected (${err.status ?? 'no status'} ${err.code ?? ''}): ${err.providerMessage}. Sign in again.`,
          fingerprint,
        });
        this.logger.warn(`${current.label}: refresh token rejected; credential marked error`);
      } else {
        this.results.inc({ provider, result: 'failure', origin });
      }
      throw err;
    }

    const now = Date.now();
    // Only the token fields change, applied to the file as it is at write time: an edit made
    // meanwhile (disabled, a field patched on another replica) survives.
    let next = applyTokenSet(provider, json, tokens, now);
    const written = await this.persist(repo, fileName, (text) => {
      next = applyTokenSet(provider, JSON.parse(text) as Record<string, unknown>, tokens, now);
      return `${JSON.stringify(next, null, 2)}\n`;
    });
    if (written === 'missing') {
      this.results.inc({ provider, result: 'failure', origin });
      return { status: 'skipped', reason: 'auth file was deleted during the refresh' };
    }
    const fresh = parseAuthFileJson(fileName, next);
    this.results.inc({ provider, result: 'success', origin });
    await this.credentials.state.clearError(fresh.authIndex);
    this.logger.log(
      `refreshed ${provider} token of ${fresh.label}` +
        (fresh.secret.expiresAt
          ? `, valid until ${new Date(fresh.secret.expiresAt).toISOString()}`
          : ''),
    );
    // Every replica reloads: this process at once, peers through the announcement.
    await this.credentials.reloadAuthDir('token refreshed');
    return { status: 'refreshed', credential: fresh };
  }

  /**
   * Write the new tokens. The provider may already have retired the old refresh token, so a
   * config store that is briefly unreachable is waited for (up to PERSIST_WAIT_MS) rather than
   * losing the new one.
   */
  private async persist(
    repo: AuthDirRepository,
    fileName: string,
    edit: (text: string) => string,
  ): Promise<AuthFileUpdate> {
    const deadline = Date.now() + PERSIST_WAIT_MS;
    for (;;) {
      try {
        return await repo.update(fileName, edit);
      } catch (err) {
        if (!(err instanceof ConfigStoreUnavailableError) || Date.now() > deadline) throw err;
        this.logger.warn(`cannot save the refreshed token yet: ${err.message}; retrying`);
        await new Promise((r) => setTimeout(r, PERSIST_RETRY_MS));
      }
    }
  }

  /** Does the file's current token still need the refresh this mode asked for? */
  private stillNeeded(
    current: Credential,
    mode: RefreshMode,
    expectedExpiresAt: number | undefined,
  ): boolean {
    switch (mode) {
      case 'force':
        return true;
      case 'inline':
        return needsInlineRefresh(current, Date.now());
      case 'scheduled':
        // Scheduled for a token state that is gone (refreshed elsewhere or re-logged): skip.
        return expectedExpiresAt === undefined || current.secret.expiresAt === expectedExpiresAt
          ? true
          : needsInlineRefresh(current, Date.now());
    }
  }

  /** Read and parse the credential's file as it is now (undefined when gone or broken). */
  private async readCredential(known: Credential): Promise<Credential | undefined> {
    const repo = this.credentials.authFiles;
    if (!repo || !known.fileName) return undefined;
    try {
      return parseAuthFileJson(known.fileName, JSON.parse(await repo.read(known.fileName)));
    } catch {
      return undefined;
    }
  }

  /** The lock value when acquired; undefined when someone else holds it. */
  private async acquire(key: string): Promise<string | undefined> {
    const value = randomBytes(8).toString('hex');
    try {
      return (await this.leases.acquire(key, value, LOCK_TTL_MS)) ? value : undefined;
    } catch {
      // Redis unreachable: refresh without the cluster lock (this process still runs one at a
      // time); a request must not fail only because the lock store is down.
      return value;
    }
  }

  private async renew(key: string, value: string): Promise<void> {
    try {
      await this.leases.renew(key, value, LOCK_TTL_MS);
    } catch {
      // Redis unreachable: the lease lapses and another process may refresh; nothing to do here.
    }
  }

  private async release(key: string, value: string): Promise<void> {
    try {
      await this.leases.release(key, value);
    } catch {
      // expires on its own
    }
  }

  private async waitUnlocked(key: string, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      try {
        if (!(await this.leases.isHeld(key))) return;
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    }
  }
}
