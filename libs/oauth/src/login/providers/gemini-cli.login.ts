import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { TokenSet } from '@app/oauth/token-client';
import {
  fetchGoogleEmail,
  listGcpProjects,
  setupGeminiProject,
} from '@app/oauth/login/account.client';
import { compact, expiryOf, safeNamePart, type LoginModule } from '@app/oauth/login/login-module';

/** A Gemini CLI login: the Google account and the Code Assist project(s) it was set up with. */
export interface GeminiCliAccount {
  kind: 'gemini';
  token: TokenSet;
  email: string;
  /** One project, or several joined with commas (`project_id=ALL`). */
  projectId: string;
  /** The project was discovered, not asked for. */
  auto: boolean;
  endpoints: OAuthEndpoints;
}

/** `gemini-<email>-<project>.json`, or `gemini-<email>-all.json` for several projects. */
export function geminiFileName(email: string, projectId: string): string {
  const project = projectId.trim();
  const all = project.toLowerCase() === 'all' || project.includes(',');
  return `gemini-${safeNamePart(email)}-${all ? 'all' : safeNamePart(project)}.json`;
}

export const geminiCliLogin: LoginModule<GeminiCliAccount> = {
  account: async (ctx, session, token) => {
    const ep = ctx.endpoints('gemini-cli');
    const email = await fetchGoogleEmail(ctx.http, ep, token.accessToken);
    const requested = session.projectId;
    if (requested?.toUpperCase() === 'ALL') {
      const ids = await listGcpProjects(ctx.http, ctx.projectsUrl, token.accessToken);
      if (!ids.length) throw new Error('no Google Cloud projects are available for this account');
      const projects: string[] = [];
      for (const id of ids) {
        const p = await setupGeminiProject(ctx.http, ep, token.accessToken, id, ctx.onboard);
        if (!projects.includes(p.projectId)) projects.push(p.projectId);
      }
      return {
        kind: 'gemini',
        token,
        email,
        projectId: projects.join(','),
        auto: false,
        endpoints: ep,
      };
    }
    const p = await setupGeminiProject(ctx.http, ep, token.accessToken, requested, ctx.onboard);
    return { kind: 'gemini', token, email, projectId: p.projectId, auto: p.auto, endpoints: ep };
  },
  authFile: (account) => {
    const t = account.token;
    const ep = account.endpoints;
    // Google's own token JSON (oauth2.Token plus the fields gcloud-style tools read back).
    const token = compact({
      access_token: t.accessToken,
      token_type: t.tokenType ?? 'Bearer',
      refresh_token: t.refreshToken,
      expiry: expiryOf(t),
      token_uri: ep.tokenUrl,
      client_id: ep.clientId,
      client_secret: ep.clientSecret,
      scopes: [...ep.scopes],
      universe_domain: 'googleapis.com',
    });
    return {
      name: geminiFileName(account.email, account.projectId),
      email: account.email,
      json: {
        type: 'gemini',
        email: account.email,
        project_id: account.projectId,
        auto: account.auto,
        // Cloud AI API enablement is not verified here (CLIProxyAPI checks it via serviceusage).
        checked: false,
        token,
      },
    };
  },
};
