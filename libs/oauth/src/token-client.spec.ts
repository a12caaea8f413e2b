import { defaultOAuthEndpoints, type OAuthProviderId } from '@app/oauth/oauth-endpoints';
import type {
  OAuthHttp,
  OAuthHttpRequest,
  OAuthHttpResponse,
} from '@app/oauth/oauth-http.repository';
import {
  exchangeCode,
  exchangeDeviceCode,
  OAuthTokenError,
  refreshToken,
} from '@app/oauth/token-client';

/** An OAuthHttp that records requests and answers from a queue. */
class StubHttp implements OAuthHttp {
  readonly requests: OAuthHttpRequest[] = [];
  private readonly answers: (OAuthHttpResponse | Error)[] = [];

  reply(status: number, body: unknown): this {
    this.answers.push({ status, text: typeof body === 'string' ? body : JSON.stringify(body) });
    return this;
  }

  failWith(err: Error): this {
    this.answers.push(err);
    return this;
  }

  async send(req: OAuthHttpRequest): Promise<OAuthHttpResponse> {
    this.requests.push(req);
    const next = this.answers.shift();
    if (!next) throw new Error('no stubbed answer');
    if (next instanceof Error) throw next;
    return next;
  }

  form(i = 0): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(this.requests[i].body ?? ''));
  }
}

const NOW = 1_700_000_000_000;
const ep = (p: OAuthProviderId) => defaultOAuthEndpoints(p);

describe(refreshToken.name, () => {
  it('should send Claude a JSON body with the client id and map the account email', async () => {
    const http = new StubHttp().reply(200, {
      access_token: 'at-new',
      refresh_token: 'rt-new',
      expires_in: 28800,
      account: { uuid: 'u', email_address: 'max@example.com' },
    });
    const sut = await refreshToken(http, ep('claude'), 'rt-old', { now: () => NOW });
    const req = http.requests[0];
    expect(req.url).toBe('https://api.anthropic.com/v1/oauth/token');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body ?? '')).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-old',
      client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
    });
    expect(sut).toMatchObject({
      accessToken: 'at-new',
      refreshToken: 'rt-new',
      expiresAt: NOW + 28800_000,
      email: 'max@example.com',
    });
  });

  it('should send Codex a form body that asks for the profile scopes again', async () => {
    const http = new StubHttp().reply(200, { access_token: 'a', id_token: 'i', expires_in: 10 });
    const sut = await refreshToken(http, ep('codex'), 'rt', { now: () => NOW });
    expect(http.requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(http.form()).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      scope: 'openid profile email',
    });
    expect(sut.idToken).toBe('i');
    expect(sut.refreshToken).toBeUndefined();
  });

  it('should send Google the client secret for Gemini CLI', async () => {
    const http = new StubHttp().reply(200, { access_token: 'ya29', expires_in: 3599 });
    await refreshToken(http, ep('gemini-cli'), '1//r');
    expect(http.requests[0].url).toBe('https://oauth2.googleapis.com/token');
    expect(http.form().client_secret).toBe('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');
  });

  it('should use Basic auth for iFlow and fetch the API key with the new token', async () => {
    const http = new StubHttp()
      .reply(200, { access_token: 'ia', refresh_token: 'ir', expires_in: 100 })
      .reply(200, { success: true, data: { apiKey: 'sk-new', email: 'i@example.com' } });
    const sut = await refreshToken(http, ep('iflow'), 'ir-old');
    const basic = Buffer.from('10009311001:4Z3YjXycVsQvyGF1etiNlIBB4RsqSDtW').toString('base64');
    expect(http.requests[0].headers.authorization).toBe(`Basic ${basic}`);
    expect(http.requests[1].url).toBe('https://iflow.cn/api/oauth/getUserInfo?accessToken=ia');
    expect(sut.apiKey).toBe('sk-new');
  });

  it('should send Kimi its device id header', async () => {
    const http = new StubHttp().reply(200, { access_token: 'k', expires_in: 900 });
    await refreshToken(http, ep('kimi'), 'kr', { deviceId: 'dev-9' });
    expect(http.requests[0].headers['X-Msh-Device-Id']).toBe('dev-9');
  });

  it('should classify Google invalid_grant as permanent with status and message', async () => {
    const http = new StubHttp().reply(400, {
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    });
    const err = await refreshToken(http, ep('antigravity'), 'rt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTokenError);
    const e = err as OAuthTokenError;
    expect(e.permanent).toBe(true);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_grant');
    expect(e.providerMessage).toBe('Token has been expired or revoked.');
  });

  it('should classify a nested Codex refresh_token_reused as permanent', async () => {
    const http = new StubHttp().reply(401, {
      error: { message: 'already used', code: 'refresh_token_reused' },
    });
    const err = (await refreshToken(http, ep('codex'), 'rt').catch(
      (e: unknown) => e,
    )) as OAuthTokenError;
    expect(err.kind).toBe('invalid_grant');
    expect(err.code).toBe('refresh_token_reused');
  });

  it('should classify a bare Kimi 401 as permanent', async () => {
    const http = new StubHttp().reply(401, 'unauthorized');
    const err = (await refreshToken(http, ep('kimi'), 'rt').catch(
      (e: unknown) => e,
    )) as OAuthTokenError;
    expect(err.permanent).toBe(true);
  });

  it('should classify 5xx and network errors as transient', async () => {
    const http = new StubHttp().reply(503, 'upstream down').failWith(new Error('ECONNRESET'));
    const a = (await refreshToken(http, ep('claude'), 'rt').catch(
      (e: unknown) => e,
    )) as OAuthTokenError;
    const b = (await refreshToken(http, ep('claude'), 'rt').catch(
      (e: unknown) => e,
    )) as OAuthTokenError;
    expect([a.kind, a.status]).toEqual(['transient', 503]);
    expect([b.kind, b.status]).toEqual(['transient', undefined]);
    expect(b.message).toContain('ECONNRESET');
  });

  it('should never carry the refresh token or client secret in the error', async () => {
    const secretToken = 'rt-very-secret-123456';
    const http = new StubHttp().reply(400, {
      error: 'invalid_request',
      error_description: `bad token ${secretToken} for client 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`,
    });
    const err = (await refreshToken(http, ep('gemini-cli'), secretToken).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).not.toContain(secretToken);
    expect(err.message).not.toContain('GOCSPX');
    expect(err.message).toContain('****');
  });

  it('should treat an answer without access_token as a failure', async () => {
    const http = new StubHttp().reply(200, { token_type: 'Bearer' });
    await expect(refreshToken(http, ep('qwen'), 'rt')).rejects.toThrow(/no access_token/);
  });
});

describe(exchangeCode.name, () => {
  it('should send the code, verifier and registered redirect URI', async () => {
    const http = new StubHttp().reply(200, {
      access_token: 'a',
      refresh_token: 'r',
      expires_in: 5,
    });
    await exchangeCode(http, ep('codex'), { code: 'c-1', codeVerifier: 'v-1' });
    expect(http.form()).toEqual({
      grant_type: 'authorization_code',
      code: 'c-1',
      redirect_uri: 'http://localhost:1455/auth/callback',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      code_verifier: 'v-1',
    });
  });

  it('should echo the state to Claude', async () => {
    const http = new StubHttp().reply(200, { access_token: 'a' });
    await exchangeCode(http, ep('claude'), { code: 'c', codeVerifier: 'v', state: 's-1' });
    expect(JSON.parse(http.requests[0].body ?? '')).toMatchObject({ state: 's-1', code: 'c' });
  });
});

describe(exchangeDeviceCode.name, () => {
  it('should report pending (Kimi: 200 with an error field) and then the token', async () => {
    const http = new StubHttp()
      .reply(200, { error: 'authorization_pending' })
      .reply(400, { error: 'slow_down' })
      .reply(200, { access_token: 'k', refresh_token: 'kr', expires_in: 60 });
    expect(await exchangeDeviceCode(http, ep('kimi'), { deviceCode: 'd' })).toEqual({
      status: 'pending',
    });
    expect(await exchangeDeviceCode(http, ep('kimi'), { deviceCode: 'd' })).toEqual({
      status: 'slow_down',
    });
    const done = await exchangeDeviceCode(http, ep('kimi'), { deviceCode: 'd' });
    expect(done.status).toBe('ok');
    expect(http.form(2).grant_type).toBe('urn:ietf:params:oauth:grant-type:device_code');
  });
});
