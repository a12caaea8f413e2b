import type { LoginModule } from '@app/oauth/login/login-module';
import {
  iflowCookieAuthFile,
  LOGIN_MODULES,
  type IflowCookieAccount,
  type ModuleAccount,
} from '@app/oauth/login/providers';

export { compact, rfc3339, safeNamePart, type AuthFileDraft } from '@app/oauth/login/login-module';
export { codexFileName, geminiFileName, normalizePlanType } from '@app/oauth/login/providers';

/** A finished login, enriched with what the auth file needs, per flow (plus iFlow's cookie). */
export type LoginAccount = ModuleAccount | IflowCookieAccount;

/**
 * The auth file CLIProxyAPI writes for this account, built by the flow's login module: same
 * name, same `type` and field names, so the file moves between the two unchanged. `now` names
 * the files that have no email (Qwen, Kimi) and stamps `last_refresh`.
 */
export function buildAuthFile(account: LoginAccount, now: number) {
  if (account.kind === 'iflow-cookie') return iflowCookieAuthFile(account, now);
  // `kind` is the flow's name, so this is the module that made the account.
  const module: LoginModule<typeof account> = LOGIN_MODULES[account.kind];
  return module.authFile(account, now);
}
