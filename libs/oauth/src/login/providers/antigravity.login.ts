import type { TokenSet } from '@app/oauth/token-client';
import { discoverAntigravityProject, fetchGoogleEmail } from '@app/oauth/login/account.client';
import { compact, expiryOf, safeNamePart, type LoginModule } from '@app/oauth/login/login-module';

/** An Antigravity login: the Google account and its Code Assist project, when one was found. */
export interface AntigravityAccount {
  kind: 'antigravity';
  token: TokenSet;
  email: string;
  projectId?: string;
}

export const antigravityLogin: LoginModule<AntigravityAccount> = {
  account: async (ctx, _session, token) => {
    const ep = ctx.endpoints('antigravity');
    const email = await fetchGoogleEmail(ctx.http, ep, token.accessToken);
    let projectId: string | undefined;
    try {
      projectId = await discoverAntigravityProject(ctx.http, ep, token.accessToken, ctx.onboard);
    } catch (err) {
      // CLIProxyAPI saves the login without a project too; requests then fail visibly.
      const why = err instanceof Error ? err.message : String(err);
      ctx.log?.warn(`antigravity: no Code Assist project for ${email}: ${why}`);
    }
    return { kind: 'antigravity', token, email, projectId };
  },
  authFile: (account, now) => {
    const t = account.token;
    const expiresIn = t.expiresAt !== undefined ? Math.round((t.expiresAt - now) / 1000) : 0;
    return {
      name: `antigravity-${safeNamePart(account.email)}.json`,
      email: account.email,
      json: compact({
        type: 'antigravity',
        email: account.email,
        project_id: account.projectId,
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        expires_in: expiresIn > 0 ? expiresIn : undefined,
        timestamp: now,
        expired: expiryOf(t),
      }),
    };
  },
};
