import type { LoginProvider } from '@app/providers';
import type { LoginModule } from '@app/oauth/login/login-module';
import { antigravityLogin } from '@app/oauth/login/providers/antigravity.login';
import { claudeLogin } from '@app/oauth/login/providers/claude.login';
import { codexLogin } from '@app/oauth/login/providers/codex.login';
import { geminiCliLogin } from '@app/oauth/login/providers/gemini-cli.login';
import { iflowLogin } from '@app/oauth/login/providers/iflow.login';
import { kimiLogin } from '@app/oauth/login/providers/kimi.login';
import { qwenLogin } from '@app/oauth/login/providers/qwen.login';

/**
 * The login module of every login flow of the registry, keyed by the derived `LoginProvider`
 * union (each module's accounts carry its key as `kind`): an OAuth row without a module here
 * fails to type-check.
 */
export const LOGIN_MODULES = {
  anthropic: claudeLogin,
  codex: codexLogin,
  gemini: geminiCliLogin,
  antigravity: antigravityLogin,
  qwen: qwenLogin,
  kimi: kimiLogin,
  iflow: iflowLogin,
} as const satisfies { readonly [P in LoginProvider]: LoginModule<{ kind: P }> };

/** A finished login of any flow, as its module's `account` returns it. */
export type ModuleAccount = {
  [P in LoginProvider]: (typeof LOGIN_MODULES)[P] extends LoginModule<infer A> ? A : never;
}[LoginProvider];

export { codexFileName, normalizePlanType } from '@app/oauth/login/providers/codex.login';
export { geminiFileName } from '@app/oauth/login/providers/gemini-cli.login';
export {
  iflowCookieAuthFile,
  type IflowCookieAccount,
} from '@app/oauth/login/providers/iflow.login';
