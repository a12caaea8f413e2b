import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import { loginSpec, type LoginProvider } from '@app/oauth/login/login-provider';

/** The per-login values that go into an authorize URL. */
export interface AuthorizeParams {
  state: string;
  redirectUri: string;
  /** S256 PKCE challenge, for the flows that use PKCE. */
  codeChallenge?: string;
}

const PLACEHOLDER = /^\{(client_id|redirect_uri|scope|state)\}$/;

/**
 * The browser URL that starts a redirect login, with the parameters each provider's own CLI
 * sends (CLIProxyAPI sends the same), in their order: the registry row's `authorize` template
 * (Claude wants `code=true`; Codex the simplified-flow flags; Google offline access with forced
 * consent, so a refresh token comes back every time; iFlow its own `redirect` parameter).
 */
export function buildAuthorizeUrl(
  provider: LoginProvider,
  ep: OAuthEndpoints,
  p: AuthorizeParams,
): string {
  if (!ep.authorizeUrl) throw new Error(`${provider} has no authorize URL (it uses a device code)`);
  const template = loginSpec(provider).authorize;
  if (!template) throw new Error(`${provider} uses a device code, not an authorize URL`);
  const values: Record<string, string> = {
    client_id: ep.clientId,
    redirect_uri: p.redirectUri,
    scope: ep.scopes.join(' '),
    state: p.state,
  };
  const q = new URLSearchParams();
  for (const item of template) {
    if (item === '{pkce}' || item === '{pkce?}') {
      if (!p.codeChallenge) {
        if (item === '{pkce}') throw new Error(`${provider} needs a PKCE challenge`);
        continue;
      }
      q.set('code_challenge', p.codeChallenge);
      q.set('code_challenge_method', 'S256');
      continue;
    }
    const eq = item.indexOf('=');
    const value = item.slice(eq + 1);
    const name = PLACEHOLDER.exec(value)?.[1];
    q.set(item.slice(0, eq), name ? values[name] : value);
  }
  const sep = ep.authorizeUrl.includes('?') ? '&' : '?';
  return `${ep.authorizeUrl}${sep}${q.toString()}`;
}
