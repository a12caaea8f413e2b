import { decodeJwtClaims } from '@app/routing';

/** The ChatGPT claims CLIProxyAPI reads from a Codex id_token. */
export interface CodexClaims {
  email?: string;
  accountId?: string;
  /** `chatgpt_plan_type`: free, plus, pro, team… */
  planType?: string;
}

/** OpenAI nests its account claims under this key. */
export const CODEX_AUTH_CLAIM = 'https://api.openai.com/auth';

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * Email, ChatGPT account id and plan from a Codex id_token (claims only: the token came straight
 * from the token endpoint over TLS, so its signature adds nothing here). Empty for a malformed
 * token.
 */
export function codexClaims(idToken: string | undefined): CodexClaims {
  const claims = decodeJwtClaims(idToken);
  if (!claims) return {};
  const auth = claims[CODEX_AUTH_CLAIM];
  const a = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
  return {
    email: text(claims.email),
    accountId: text(a.chatgpt_account_id),
    planType: text(a.chatgpt_plan_type),
  };
}
