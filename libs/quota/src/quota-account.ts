import type { Credential } from '@app/routing';
import { quotaAccountId, quotaProviderOf } from '@app/quota/quota-source';
import type { QuotaProvider } from '@app/quota/quota.types';

/** One account an ambiguous `accountId` could mean, with the ids that name it alone. */
export interface QuotaAccountChoice {
  auth_index: string;
  /** Auth file name. */
  name: string;
  email?: string;
  project_id?: string;
}

/** What an `accountId` names among the pollable accounts of one provider. */
export type QuotaAccountMatch =
  | { kind: 'one'; credential: Credential }
  | { kind: 'ambiguous'; choices: QuotaAccountChoice[] }
  | { kind: 'none' };

const JSON_SUFFIX = /\.json$/i;

function choiceOf(c: Credential): QuotaAccountChoice {
  const choice: QuotaAccountChoice = { auth_index: c.authIndex, name: c.fileName ?? c.id };
  if (c.email) choice.email = c.email;
  if (c.secret.projectId) choice.project_id = c.secret.projectId;
  return choice;
}

/**
 * Find the account of `/api/cliproxy/quota/:provider/:accountId`. The credential's `auth_index`
 * and its auth file name (with or without `.json`) always name one account; an email does only
 * while one account of the provider has it (several Gemini CLI projects, or a Codex personal and
 * team plan, share one email), otherwise the caller gets the choices.
 */
export function findQuotaAccount(
  credentials: readonly Credential[],
  provider: QuotaProvider,
  accountId: string,
): QuotaAccountMatch {
  const accounts = credentials.filter((c) => quotaProviderOf(c) === provider);
  const exact = accounts.find(
    (c) =>
      c.authIndex === accountId ||
      c.fileName === accountId ||
      (c.fileName ?? c.id).replace(JSON_SUFFIX, '') === accountId,
  );
  if (exact) return { kind: 'one', credential: exact };
  const wanted = accountId.toLowerCase();
  const byEmail = accounts.filter((c) => (c.email ?? quotaAccountId(c)).toLowerCase() === wanted);
  if (byEmail.length === 1) return { kind: 'one', credential: byEmail[0] };
  if (byEmail.length > 1) return { kind: 'ambiguous', choices: byEmail.map(choiceOf) };
  return { kind: 'none' };
}
