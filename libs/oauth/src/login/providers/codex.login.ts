import { createHash } from 'node:crypto';
import type { TokenSet } from '@app/oauth/token-client';
import { codexClaims } from '@app/oauth/login/codex-claims';
import {
  compact,
  expiryOf,
  rfc3339,
  safeNamePart,
  type LoginModule,
} from '@app/oauth/login/login-module';

/** A Codex login: email, account and plan come from the id_token's claims. */
export interface CodexAccount {
  kind: 'codex';
  token: TokenSet;
}

/** `plus`, `pro`, `team`…: lower-case, non-alphanumerics collapsed to `-` (CLIProxyAPI's rule). */
export function normalizePlanType(plan: string | undefined): string {
  if (!plan) return '';
  return plan
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('-');
}

/**
 * CLIProxyAPI's Codex file name: `codex-<email>-<plan>.json`; a team plan also carries the first
 * 8 hex characters of SHA-256(account id), because one email can sit in several workspaces.
 */
export function codexFileName(email: string, plan: string | undefined, accountId?: string): string {
  const p = normalizePlanType(plan);
  const e = safeNamePart(email);
  if (!p) return `codex-${e}.json`;
  if (p === 'team' && accountId) {
    const hash = createHash('sha256').update(accountId).digest('hex').slice(0, 8);
    return `codex-${hash}-${e}-${p}.json`;
  }
  return `codex-${e}-${p}.json`;
}

export const codexLogin: LoginModule<CodexAccount> = {
  account: async (_ctx, _session, token) => ({ kind: 'codex', token }),
  authFile: ({ token: t }, now) => {
    const claims = codexClaims(t.idToken);
    const email = claims.email ?? t.email ?? '';
    return {
      name: email ? codexFileName(email, claims.planType, claims.accountId) : `codex-${now}.json`,
      email: email || undefined,
      json: compact({
        type: 'codex',
        email,
        id_token: t.idToken,
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        account_id: claims.accountId,
        expired: expiryOf(t),
        last_refresh: rfc3339(now),
      }),
    };
  },
};
