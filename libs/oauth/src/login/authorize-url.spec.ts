import { defaultOAuthEndpoints } from '@app/oauth/oauth-endpoints';
import { buildAuthorizeUrl } from '@app/oauth/login/authorize-url';

function query(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe(buildAuthorizeUrl.name, () => {
  const base = { state: 'st-1', redirectUri: 'http://localhost:9/cb', codeChallenge: 'ch-1' };

  it("should build Claude's URL with code=true and an S256 challenge", () => {
    const url = buildAuthorizeUrl('anthropic', defaultOAuthEndpoints('claude'), base);
    expect(url.startsWith('https://claude.ai/oauth/authorize?')).toBe(true);
    expect(query(url)).toEqual({
      code: 'true',
      client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      response_type: 'code',
      redirect_uri: 'http://localhost:9/cb',
      scope: 'org:create_api_key user:profile user:inference',
      code_challenge: 'ch-1',
      code_challenge_method: 'S256',
      state: 'st-1',
    });
  });

  it("should build Codex's URL with the CLI's simplified-flow flags", () => {
    const q = query(buildAuthorizeUrl('codex', defaultOAuthEndpoints('codex'), base));
    expect(q).toMatchObject({
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      scope: 'openid email profile offline_access',
      code_challenge: 'ch-1',
      code_challenge_method: 'S256',
      prompt: 'login',
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      state: 'st-1',
    });
  });

  it('should ask Google for offline access with forced consent (a refresh token every time)', () => {
    const gemini = query(
      buildAuthorizeUrl('gemini', defaultOAuthEndpoints('gemini-cli'), {
        state: 's',
        redirectUri: 'http://localhost:8085/oauth2callback',
      }),
    );
    expect(gemini).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      response_type: 'code',
    });
    expect(gemini.scope.split(' ')).toContain('https://www.googleapis.com/auth/cloud-platform');
    expect(gemini.code_challenge).toBeUndefined();
    const agy = query(buildAuthorizeUrl('antigravity', defaultOAuthEndpoints('antigravity'), base));
    expect(agy).toMatchObject({ code_challenge: 'ch-1', code_challenge_method: 'S256' });
    expect(agy.scope.split(' ')).toContain('https://www.googleapis.com/auth/cclog');
  });

  it("should use iFlow's own redirect parameter", () => {
    const q = query(buildAuthorizeUrl('iflow', defaultOAuthEndpoints('iflow'), base));
    expect(q).toEqual({
      loginMethod: 'phone',
      type: 'phone',
      redirect: 'http://localhost:9/cb',
      state: 'st-1',
      client_id: '10009311001',
    });
  });

  it('should append to an authorize URL that already has a query', () => {
    const ep = {
      ...defaultOAuthEndpoints('claude'),
      authorizeUrl: 'http://idp/authorize?tenant=x',
    };
    const url = new URL(buildAuthorizeUrl('anthropic', ep, base));
    expect(url.searchParams.get('tenant')).toBe('x');
    expect(url.searchParams.get('state')).toBe('st-1');
  });

  it('should refuse device flows and a PKCE flow without a challenge', () => {
    expect(() => buildAuthorizeUrl('qwen', defaultOAuthEndpoints('qwen'), base)).toThrow(
      /device code/,
    );
    expect(() =>
      buildAuthorizeUrl('anthropic', defaultOAuthEndpoints('claude'), {
        ...base,
        codeChallenge: undefined,
      }),
    ).toThrow(/PKCE/);
  });
});
