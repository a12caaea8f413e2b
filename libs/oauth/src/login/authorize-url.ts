import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { LoginProvider } from '@app/oauth/login/login-provider';

/** The per-login values that go into an authorize URL. */
export interface AuthorizeParams {
  state: string;
  redirectUri: string;
  /** S256 PKCE challenge, for the flows that use PKCE. */
  codeChallenge?: string;
}

/**
 * The browser URL that starts a redirect login, with the parameters each provider's own CLI
 * sends (CLIProxyAPI sends the same): Claude wants `code=true`; Codex the simplified-flow flags;
 * Google offline access with forced consent (so a refresh token comes back every time); iFlow
 * its own `redirect` parameter and phone login.
 */
export function buildAuthorizeUrl(
  provider: LoginProvider,
  ep: OAuthEndpoints,
  p: AuthorizeParams,
): string {
  if (!ep.authorizeUrl) throw new Error(`${provider} has no authorize URL (it uses a device code)`);
  const q = new URLSearchParams();
  const scope = ep.scopes.join(' ');
  const pkce = () => {
    if (!p.codeChallenge) throw new Error(`${provider} needs a PKCE challenge`);
    q.set('code_challenge', p.codeChallenge);
    q.set('code_challenge_method', 'S256');
  };
  switch (provider) {
    case 'anthropic':
      q.set('code', 'true');
      q.set('client_id', ep.clientId);
      q.set('response_type', 'code');
      q.set('redirect_uri', p.redirectUri);
      q.set('scope', scope);
      pkce();
      q.set('state', p.state);
      break;
    case 'codex':
      q.set('client_id', ep.clientId);
      q.set('response_type', 'code');
      q.set('redirect_uri', p.redirectUri);
      q.set('scope', scope);
      q.set('state', p.state);
      pkce();
      q.set('prompt', 'login');
      q.set('id_token_add_organizations', 'true');
      q.set('codex_cli_simplified_flow', 'true');
      break;
    case 'gemini':
    case 'antigravity':
      q.set('access_type', 'offline');
      q.set('client_id', ep.clientId);
      if (p.codeChallenge) pkce();
      q.set('prompt', 'consent');
      q.set('redirect_uri', p.redirectUri);
      q.set('response_type', 'code');
      q.set('scope', scope);
      q.set('state', p.state);
      break;
    case 'iflow':
      q.set('loginMethod', 'phone');
      q.set('type', 'phone');
      q.set('redirect', p.redirectUri);
      q.set('state', p.state);
      q.set('client_id', ep.clientId);
      break;
    case 'qwen':
    case 'kimi':
      throw new Error(`${provider} uses a device code, not an authorize URL`);
  }
  const sep = ep.authorizeUrl.includes('?') ? '&' : '?';
  return `${ep.authorizeUrl}${sep}${q.toString()}`;
}
