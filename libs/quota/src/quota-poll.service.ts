import { Injectable, Logger } from '@nestjs/common';
import { isOAuthProvider, OAuthHttpRepository, TokenRefreshService } from '@app/oauth';
import { ALL_MODELS, CredentialService, type Credential } from '@app/routing';
import {
  fetchQuotaReading,
  POLLED_QUOTA_PROVIDERS,
  QuotaHttpError,
  quotaAccountId,
  quotaProviderOf,
  unsupportedQuotaMessage,
} from '@app/quota/quota-source';
import { QuotaSnapshotRepository } from '@app/quota/quota-snapshot.repository';
import type { QuotaProvider, QuotaSnapshot, QuotaWindow } from '@app/quota/quota.types';

/** An account exhausted with no reset time is benched this long before the next look. */
const DEFAULT_BENCH_MS = 5 * 60_000;

/** One account to poll. */
export interface QuotaAccount {
  credential: Credential;
  provider: QuotaProvider;
  accountId: string;
}

/** The pollable accounts among the current credentials (OAuth files of a known provider). */
export function quotaAccounts(credentials: readonly Credential[]): QuotaAccount[] {
  const out: QuotaAccount[] = [];
  for (const c of credentials) {
    const provider = quotaProviderOf(c);
    if (provider) out.push({ credential: c, provider, accountId: quotaAccountId(c) });
  }
  return out;
}

/**
 * Where quota says an account cannot serve: `model` `*` for time windows (every model stops),
 * or one model for per-model quotas. `until` is the latest reset of the exhausted entries.
 */
export interface ExhaustedScope {
  model: string;
  until: number;
}

function resetMs(w: QuotaWindow, fallback: number): number {
  const ms = w.resetTime ? Date.parse(w.resetTime) : Number.NaN;
  return Number.isNaN(ms) ? fallback : ms;
}

/** Which scopes a snapshot shows as spent (percentage 0), and until when. */
export function exhaustedScopes(snapshot: QuotaSnapshot, now: number): ExhaustedScope[] {
  if (!snapshot.success) return [];
  const fallback = now + DEFAULT_BENCH_MS;
  const out: ExhaustedScope[] = [];
  const windows = (snapshot.windows ?? []).filter((w) => w.percentage <= 0);
  if (windows.length > 0) {
    out.push({ model: ALL_MODELS, until: Math.max(...windows.map((w) => resetMs(w, fallback))) });
  }
  for (const m of snapshot.models ?? []) {
    if (m.percentage <= 0) out.push({ model: m.name, until: resetMs(m, fallback) });
  }
  return out;
}

/**
 * Polls one account's quota: refreshes the token first when it expired, asks the provider,
 * stores the normalized snapshot, and benches the account (quota-exceeded state) where its
 * quota is spent until the reset time, so routing skips it. Quota that came back early lifts
 * the bench.
 */
@Injectable()
export class QuotaPollService {
  private readonly logger = new Logger('QuotaPoll');

  constructor(
    private readonly credentials: CredentialService,
    private readonly tokens: TokenRefreshService,
    private readonly http: OAuthHttpRepository,
    private readonly snapshots: QuotaSnapshotRepository,
  ) {}

  /** Poll the account of one credential; undefined when that credential is gone. */
  async poll(authIndex: string, now = Date.now()): Promise<QuotaSnapshot | undefined> {
    const cred = this.credentials.snapshot().byAuthIndex.get(authIndex);
    if (!cred) return undefined;
    const provider = quotaProviderOf(cred);
    if (!provider) return undefined;
    const snapshot = await this.read(cred, provider, now);
    await this.snapshots.put(snapshot);
    await this.applyCooldowns(cred, snapshot, now);
    return snapshot;
  }

  private async read(
    cred: Credential,
    provider: QuotaProvider,
    now: number,
  ): Promise<QuotaSnapshot> {
    const base: QuotaSnapshot = {
      success: false,
      provider,
      accountId: quotaAccountId(cred),
      lastUpdated: new Date(now).toISOString(),
      authIndex: cred.authIndex,
    };
    if (cred.fileName) base.fileName = cred.fileName;
    if (!POLLED_QUOTA_PROVIDERS.has(provider) || !isOAuthProvider(cred.provider)) {
      return { ...base, error: unsupportedQuotaMessage(provider) };
    }
    const fresh = await this.tokens.ensureFresh(cred, now, 'worker');
    if (!fresh?.secret.accessToken) {
      return { ...base, isExpired: true, error: 'access token expired and could not be refreshed' };
    }
    try {
      const ep = this.tokens.endpoints(cred.provider);
      const reading = await fetchQuotaReading(this.http, ep, provider, fresh, now);
      const out: QuotaSnapshot = { ...base, success: true };
      if (reading.models) out.models = reading.models;
      if (reading.windows) out.windows = reading.windows;
      if (reading.tier) out.tier = reading.tier;
      if (reading.plan ?? cred.planType) out.plan = reading.plan ?? cred.planType;
      return out;
    } catch (err) {
      const out: QuotaSnapshot = { ...base, error: (err as Error).message };
      if (err instanceof QuotaHttpError) {
        if (err.status === 401) out.isExpired = true;
        if (err.status === 403) out.isForbidden = true;
      }
      this.logger.debug(`quota of ${cred.label}: ${out.error ?? ''}`);
      return out;
    }
  }

  /** Bench what is spent, lift benches whose quota is back; writes only what changed. */
  private async applyCooldowns(
    cred: Credential,
    snapshot: QuotaSnapshot,
    now: number,
  ): Promise<void> {
    if (!snapshot.success) return;
    const state = this.credentials.state;
    const spent = new Map(exhaustedScopes(snapshot, now).map((s) => [s.model, s.until]));
    for (const [model, until] of spent) {
      if ((state.get(cred.authIndex, model)?.quotaExceededUntil ?? 0) !== until) {
        await state.setQuotaExceeded(cred.authIndex, model, until);
        this.logger.log(
          `${cred.label}: quota spent${model === ALL_MODELS ? '' : ` for ${model}`} until ${new Date(until).toISOString()}`,
        );
      }
    }
    const scopes = [ALL_MODELS, ...(snapshot.models ?? []).map((m) => m.name)];
    for (const model of scopes) {
      if (spent.has(model)) continue;
      if ((state.get(cred.authIndex, model)?.quotaExceededUntil ?? 0) > now) {
        await state.setQuotaExceeded(cred.authIndex, model, 0);
      }
    }
  }
}
