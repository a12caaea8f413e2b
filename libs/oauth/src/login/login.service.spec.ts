import { AppError } from '@app/common';
import { defaultOAuthEndpoints, type OAuthEndpointsConfig } from '@app/oauth/oauth-endpoints';
import type { OAuthHttp, OAuthHttpRequest } from '@app/oauth/oauth-http.repository';
import type { AuthFileSink } from '@app/oauth/login/auth-file.sink';
import { LoginService } from '@app/oauth/login/login.service';
import { MemoryLoginSessionStore } from '@app/oauth/login/memory-login-session.store';
import { pkceChallenge } from '@app/oauth/login/pkce';

type Answer = { status: number; body: unknown };
type Route = (req: OAuthHttpRequest) => Answer | undefined;

/** Answers by URL; unknown URLs are a test bug (500). */
class StubHttp implements OAuthHttp {
  readonly calls: OAuthHttpRequest[] = [];
  readonly routes = new Map<string, Route>();
  async send(req: OAuthHttpRequest) {
    this.calls.push(req);
    const url = req.url.split('?')[0];
    const a = this.routes.get(url)?.(req) ?? { status: 500, body: { error: `no route ${url}` } };
    return { status: a.status, text: JSON.stringify(a.body) };
  }
  to(url: string): OAuthHttpRequest[] {
    return this.calls.filter((c) => c.url.split('?')[0] === url);
  }
}

class MemorySink implements AuthFileSink {
  readonly files = new Map<string, Record<string, unknown>>();
  failWith: Error | undefined;
  async write(name: string, json: Record<string, unknown>) {
    if (this.failWith) throw this.failWith;
    this.files.set(name, json);
    return `/auth/${name}`;
  }
  async readAll() {
    return [...this.files].map(([name, json]) => ({ name, text: JSON.stringify(json) }));
  }
}

const NOW = 1_700_000_000_000;
const claude = defaultOAuthEndpoints('claude');
const codeAssist = defaultOAuthEndpoints('gemini-cli').apiBase;

function form(req: OAuthHttpRequest): Record<string, string> {
  const body = req.body ?? '';
  return body.startsWith('{')
    ? (JSON.parse(body) as Record<string, string>)
    : Object.fromEntries(new URLSearchParams(body));
}

describe(LoginService.name, () => {
  let http: StubHttp;
  let store: MemoryLoginSessionStore;
  let sink: MemorySink;
  let sut: LoginService;

  beforeEach(() => {
    http = new StubHttp();
    store = new MemoryLoginSessionStore(() => NOW);
    sink = new MemorySink();
    const config: OAuthEndpointsConfig = { 'oauth-endpoints': {} };
    sut = new LoginService(() => config, http, store, sink, {
      now: () => NOW,
      onboard: { sleep: async () => undefined, intervalMs: 0 },
      projectsUrl: 'http://crm/projects',
    });
    http.routes.set(claude.tokenUrl, () => ({
      status: 200,
      body: {
        access_token: 'sk-ant-oat',
        refresh_token: 'sk-ant-ort',
        expires_in: 3600,
        account: { email_address: 'me@x.com' },
      },
    }));
  });

  afterEach(() => sut.stop());

  async function startClaude() {
    const start = await sut.start('anthropic');
    const url = new URL(start.url);
    return { start, challenge: url.searchParams.get('code_challenge') as string };
  }

  describe('redirect logins', () => {
    it('should start with a stored session whose verifier matches the challenge sent', async () => {
      const { start, challenge } = await startClaude();
      expect(start.flow).toBe('redirect');
      expect(new URL(start.url).searchParams.get('state')).toBe(start.state);
      const rec = await store.get(start.state);
      expect(rec?.status).toBe('wait');
      expect(rec?.session.redirectUri).toBe(claude.redirectUri);
      expect(pkceChallenge(rec?.session.codeVerifier as string)).toBe(challenge);
      expect(await sut.status(start.state)).toEqual({ status: 'wait' });
    });

    it('should exchange the code with the verifier and write the auth file', async () => {
      const { start } = await startClaude();
      const done = await sut.complete({ state: start.state, code: 'the-code' });
      expect(done).toEqual({
        fileName: 'claude-me@x.com.json',
        path: '/auth/claude-me@x.com.json',
        email: 'me@x.com',
      });
      const sent = form(http.to(claude.tokenUrl)[0]);
      const verifier = (await store.get(start.state))?.session.codeVerifier;
      expect(sent).toMatchObject({
        grant_type: 'authorization_code',
        code: 'the-code',
        code_verifier: verifier,
        redirect_uri: claude.redirectUri,
        state: start.state,
      });
      expect(sink.files.get('claude-me@x.com.json')).toMatchObject({
        type: 'claude',
        access_token: 'sk-ant-oat',
      });
      expect(await sut.status(start.state)).toEqual({
        status: 'ok',
        fileName: 'claude-me@x.com.json',
      });
    });

    it('should split a state appended to the code (Claude shows code#state)', async () => {
      const { start } = await startClaude();
      await sut.complete({ code: `the-code#${start.state}` });
      expect(form(http.to(claude.tokenUrl)[0]).code).toBe('the-code');
    });

    it('should exchange once when the same callback arrives twice at once', async () => {
      const { start } = await startClaude();
      const results = await Promise.allSettled([
        sut.complete({ state: start.state, code: 'c' }),
        sut.complete({ state: start.state, code: 'c' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(AppError);
      expect((refused.reason as AppError).status).toBe(409);
      expect(http.to(claude.tokenUrl)).toHaveLength(1);
      // and later replays are refused too
      await expect(sut.complete({ state: start.state, code: 'c' })).rejects.toMatchObject({
        status: 409,
        message: 'this login was already completed; start a new login',
      });
    });

    it('should record a refusal by the user without calling the token endpoint', async () => {
      const { start } = await startClaude();
      await expect(
        sut.complete({ state: start.state, error: 'access_denied' }),
      ).rejects.toMatchObject({ status: 400, message: 'Authentication failed: access_denied' });
      expect(http.to(claude.tokenUrl)).toHaveLength(0);
      expect(await sut.status(start.state)).toEqual({
        status: 'error',
        error: 'Authentication failed: access_denied',
      });
      await expect(sut.complete({ state: start.state, code: 'c' })).rejects.toMatchObject({
        status: 409,
        message: 'Authentication failed: access_denied',
      });
    });

    it('should report a failed exchange on the session', async () => {
      http.routes.set(claude.tokenUrl, () => ({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'code expired' },
      }));
      const { start } = await startClaude();
      await expect(sut.complete({ state: start.state, code: 'c' })).rejects.toMatchObject({
        status: 502,
      });
      const status = await sut.status(start.state);
      expect(status).toEqual({ status: 'error', error: expect.stringContaining('code expired') });
      expect(status.status === 'error' && status.error).toMatch(
        /^Failed to exchange authorization code for tokens/,
      );
      expect(sink.files.size).toBe(0);
    });

    it('should report a failed save on the session', async () => {
      sink.failWith = new Error('disk full');
      const { start } = await startClaude();
      await expect(sut.complete({ state: start.state, code: 'c' })).rejects.toMatchObject({
        status: 500,
        message: 'Failed to save authentication tokens: disk full',
      });
      expect((await sut.status(start.state)).status).toBe('error');
    });

    it.each([
      [{ code: 'c' }, 400, 'state is required'],
      [{ state: 'bad/state', code: 'c' }, 400, 'invalid state'],
      [{ state: 'unknown-state', code: 'c' }, 404, 'unknown or expired state'],
    ])('should refuse %j', async (input, status, message) => {
      await expect(sut.complete(input)).rejects.toMatchObject({ status, message });
    });

    it('should refuse a callback without a code or error, or for another provider', async () => {
      const { start } = await startClaude();
      await expect(sut.complete({ state: start.state })).rejects.toMatchObject({
        status: 400,
        message: 'code or error is required',
      });
      await expect(
        sut.complete({ state: start.state, code: 'c', provider: 'codex' }),
      ).rejects.toMatchObject({ status: 400, message: 'provider does not match state' });
      await expect(
        sut.complete({ state: start.state, code: 'c', provider: 'copilot' }),
      ).rejects.toMatchObject({ status: 400, message: 'unsupported provider' });
      await expect(
        sut.complete({ state: start.state, code: 'c', allowedProviders: ['gemini'] }),
      ).rejects.toMatchObject({ status: 400, message: 'provider does not match state' });
      // none of the refusals used the session up
      await expect(
        sut.complete({ state: start.state, code: 'c', provider: 'claude' }),
      ).resolves.toMatchObject({ fileName: 'claude-me@x.com.json' });
    });

    it('should answer an unknown state in the status with an error, a malformed one with 400', async () => {
      expect(await sut.status('never-started')).toEqual({
        status: 'error',
        error: 'unknown or expired state',
      });
      await expect(sut.status('a/b')).rejects.toMatchObject({ status: 400 });
    });

    it('should set up every project of a Gemini CLI account for project_id=ALL', async () => {
      const ep = defaultOAuthEndpoints('gemini-cli');
      http.routes.set(ep.tokenUrl, () => ({
        status: 200,
        body: { access_token: 'ya29', refresh_token: '1//r', expires_in: 3599 },
      }));
      http.routes.set(ep.userInfoUrl!.split('?')[0], () => ({
        status: 200,
        body: { email: 'g@x.com' },
      }));
      http.routes.set('http://crm/projects', () => ({
        status: 200,
        body: { projects: [{ projectId: 'p1' }, { projectId: 'p2' }] },
      }));
      http.routes.set(`${codeAssist}/v1internal:loadCodeAssist`, () => ({ status: 200, body: {} }));
      http.routes.set(`${codeAssist}/v1internal:onboardUser`, (req) => ({
        status: 200,
        body: {
          done: true,
          response: { cloudaicompanionProject: form(req).cloudaicompanionProject },
        },
      }));
      const start = await sut.start('gemini', { projectId: 'ALL' });
      const done = await sut.complete({ state: start.state, code: 'c' });
      expect(done.fileName).toBe('gemini-g@x.com-all.json');
      expect(sink.files.get(done.fileName)).toMatchObject({ project_id: 'p1,p2', auto: false });
    });
  });

  describe('device logins', () => {
    const qwen = defaultOAuthEndpoints('qwen');

    beforeEach(() => {
      http.routes.set(qwen.deviceCodeUrl!, () => ({
        status: 200,
        body: {
          device_code: 'dc-1',
          user_code: 'ABC-123',
          verification_uri: 'https://chat.qwen.ai/authorize',
          verification_uri_complete: 'https://chat.qwen.ai/authorize?user_code=ABC-123',
          expires_in: 300,
          interval: 2,
        },
      }));
    });

    async function startQwen() {
      const start = await sut.start('qwen');
      await sut.stop(); // the test drives the polls itself
      return start;
    }

    it('should start with the verification URL and a PKCE challenge', async () => {
      const start = await startQwen();
      expect(start).toEqual({
        state: expect.any(String),
        flow: 'device',
        url: 'https://chat.qwen.ai/authorize?user_code=ABC-123',
        userCode: 'ABC-123',
        expiresIn: 300,
      });
      const sent = form(http.to(qwen.deviceCodeUrl!)[0]);
      const verifier = (await store.get(start.state))?.session.codeVerifier as string;
      expect(sent.code_challenge).toBe(pkceChallenge(verifier));
      expect(await store.pendingDeviceStates()).toEqual([start.state]);
    });

    it('should keep polling while pending, slow down when asked, then save the account', async () => {
      const answers: Answer[] = [
        { status: 400, body: { error: 'authorization_pending' } },
        { status: 400, body: { error: 'slow_down' } },
        {
          status: 200,
          body: {
            access_token: 'q-at',
            refresh_token: 'q-rt',
            expires_in: 3600,
            resource_url: 'portal.qwen.ai',
          },
        },
      ];
      http.routes.set(qwen.tokenUrl, () => answers.shift());
      const start = await startQwen();
      expect(await sut.pollDevice(start.state)).toEqual({ done: false, intervalMs: 2000 });
      expect(await sut.pollDevice(start.state)).toEqual({ done: false, intervalMs: 7000 });
      expect((await store.get(start.state))?.session.device?.intervalMs).toBe(7000);
      expect(await sut.pollDevice(start.state)).toEqual({ done: true, intervalMs: 0 });
      const verifier = (await store.get(start.state))?.session.codeVerifier;
      expect(form(http.to(qwen.tokenUrl)[2])).toMatchObject({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: 'dc-1',
        code_verifier: verifier,
      });
      expect(sink.files.get(`qwen-${NOW}.json`)).toMatchObject({
        type: 'qwen',
        access_token: 'q-at',
        resource_url: 'portal.qwen.ai',
      });
      expect(await sut.status(start.state)).toEqual({ status: 'ok', fileName: `qwen-${NOW}.json` });
      // a late poll (another replica) does nothing more
      expect(await sut.pollDevice(start.state)).toEqual({ done: true, intervalMs: 0 });
      expect(http.to(qwen.tokenUrl)).toHaveLength(3);
    });

    it('should end the login when the user denies it', async () => {
      http.routes.set(qwen.tokenUrl, () => ({ status: 400, body: { error: 'access_denied' } }));
      const start = await startQwen();
      expect((await sut.pollDevice(start.state)).done).toBe(true);
      expect(await sut.status(start.state)).toEqual({
        status: 'error',
        error: expect.stringContaining('access_denied'),
      });
    });

    it('should keep polling through a provider outage', async () => {
      http.routes.set(qwen.tokenUrl, () => ({ status: 503, body: { error: 'unavailable' } }));
      const start = await startQwen();
      await expect(sut.pollDevice(start.state)).rejects.toThrow(/503/);
      expect(await sut.status(start.state)).toEqual({ status: 'wait' });
    });

    it('should end the login when the device code expired', async () => {
      const start = await startQwen();
      const rec = await store.get(start.state);
      await store.updateDevice(start.state, { ...rec!.session.device!, expiresAt: NOW });
      expect((await sut.pollDevice(start.state)).done).toBe(true);
      expect(http.to(qwen.tokenUrl)).toHaveLength(0);
      expect(await sut.status(start.state)).toEqual({
        status: 'error',
        error: expect.stringContaining('expired'),
      });
    });

    it('should refuse a redirect delivered for a device login', async () => {
      const start = await startQwen();
      await expect(sut.complete({ state: start.state, code: 'c' })).rejects.toMatchObject({
        status: 400,
      });
    });

    it('should send Kimi a device id and keep it in the auth file', async () => {
      const kimi = defaultOAuthEndpoints('kimi');
      http.routes.set(kimi.deviceCodeUrl!, () => ({
        status: 200,
        body: {
          device_code: 'k-dc',
          user_code: 'K1',
          verification_uri: 'https://kimi/verify',
          expires_in: 600,
          interval: 5,
        },
      }));
      http.routes.set(kimi.tokenUrl, () => ({
        status: 200,
        body: { access_token: 'k-at', refresh_token: 'k-rt', expires_in: 3600, scope: 'kimi-code' },
      }));
      const start = await sut.start('kimi');
      await sut.stop();
      expect(start.url).toBe('https://kimi/verify');
      await sut.pollDevice(start.state);
      const deviceIds = http.calls.map((c) => c.headers['X-Msh-Device-Id']);
      expect(deviceIds[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(deviceIds).toEqual([deviceIds[0], deviceIds[0]]);
      expect(sink.files.get(`kimi-${NOW}.json`)).toMatchObject({
        device_id: deviceIds[0],
        scope: 'kimi-code',
      });
    });
  });

  describe('iFlow cookie login', () => {
    const iflow = defaultOAuthEndpoints('iflow');

    beforeEach(() => {
      http.routes.set(iflow.apiKeyUrl!, (req) =>
        req.method === 'GET'
          ? { status: 200, body: { success: true, data: { name: 'me@x.com', apiKeyMask: 'sk-*' } } }
          : {
              status: 200,
              body: {
                success: true,
                data: { name: 'me@x.com', apiKey: 'sk-if', expireTime: '2099-01-01 00:00' },
              },
            },
      );
    });

    it('should save the key and refuse the same BXAuth again', async () => {
      const done = await sut.loginWithIflowCookie('BXAuth=bx-1; lang=en');
      expect(done).toMatchObject({ email: 'me@x.com', expired: '2099-01-01 00:00', type: 'iflow' });
      expect(http.calls[0].headers.cookie).toBe('BXAuth=bx-1; lang=en;');
      expect(sink.files.get(done.fileName)).toMatchObject({
        cookie: 'BXAuth=bx-1;',
        api_key: 'sk-if',
      });
      await expect(sut.loginWithIflowCookie('BXAuth=bx-1')).rejects.toMatchObject({
        status: 409,
        message: 'duplicate BXAuth found',
        details: { existing_file: done.fileName },
      });
    });

    it('should refuse a cookie without BXAuth', async () => {
      await expect(sut.loginWithIflowCookie('  ')).rejects.toMatchObject({
        status: 400,
        message: 'cookie is required',
      });
      await expect(sut.loginWithIflowCookie('lang=en')).rejects.toMatchObject({ status: 400 });
      expect(http.calls).toHaveLength(0);
    });
  });
});
