import { QUOTA_ROUTES, type QuotaRoute } from '@app/providers';

/**
 * Providers the quota API knows: the quota routes of the registry's providers (`agy` is
 * Antigravity; the others are the credential provider ids), then routes of CLIProxyAPI
 * providers this gateway has no accounts for (`kiro`, `ghcp` for GitHub Copilot).
 */
export const QUOTA_PROVIDERS: readonly QuotaProvider[] = QUOTA_ROUTES;

/** A provider id as `/api/cliproxy/quota/:provider/:accountId` accepts it. */
export type QuotaProvider = QuotaRoute;

/** One quota window (Claude `five_hour`, Codex primary) or one model's quota (Antigravity). */
export interface QuotaWindow {
  name: string;
  /** Remaining share, 0–100. */
  percentage: number;
  /** ISO time the window resets, when the provider says. */
  resetTime?: string;
}

/** The normalized snapshot the worker stores after each poll. */
export interface QuotaSnapshot {
  success: boolean;
  provider: QuotaProvider;
  accountId: string;
  /** Per-model quotas (Antigravity, Gemini CLI buckets). */
  models?: QuotaWindow[];
  /** Time windows (Claude, Codex, Kimi, Copilot). */
  windows?: QuotaWindow[];
  tier?: string;
  plan?: string;
  /** ISO time of the poll. */
  lastUpdated: string;
  error?: string;
  isForbidden?: boolean;
  isExpired?: boolean;
  /** The credential's `auth_index` (joins the snapshot to auth-file listings and state). */
  authIndex?: string;
  /** The auth file the account lives in. */
  fileName?: string;
}

/** True when `value` is a provider id the quota API accepts. */
export function isQuotaProvider(value: string): value is QuotaProvider {
  return (QUOTA_PROVIDERS as readonly string[]).includes(value);
}
