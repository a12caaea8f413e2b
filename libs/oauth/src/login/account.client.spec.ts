import { defaultOAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { OAuthHttp, OAuthHttpRequest } from '@app/oauth/oauth-http.repository';
import {
  AccountCallError,
  discoverAntigravityProject,
  extractBxAuth,
  fetchGoogleEmail,
  iflowKeyFromCookie,
  listGcpProjects,
  setupGeminiProject,
} from '@app/oauth/login/account.client';

type Answer = { status: number; body: unknown };

/** An OAuthHttp that answers from a function and records every request. */
class StubHttp implements OAuthHttp {
  readonly calls: OAuthHttpRequest[] = [];
  constructor(private readonly answer: (req: OAuthHttpRequest, n: number) => Answer) {}
  async send(req: OAuthHttpRequest) {
    this.calls.push(req);
    const a = this.answer(req, this.calls.length);
    return { status: a.status, text: typeof a.body === 'string' ? a.body : JSON.stringify(a.body) };
  }
  bodies(): Record<string, unknown>[] {
    return this.calls.map((c) => (c.body ? (JSON.parse(c.body) as Record<string, unknown>) : {}));
  }
}

const gemini = { ...defaultOAuthEndpoints('gemini-cli'), apiBase: 'http://ca' };
const agy = { ...defaultOAuthEndpoints('antigravity'), apiBase: 'http://ca' };
const instant = { sleep: async () => undefined, intervalMs: 0 };

function method(req: OAuthHttpRequest): string {
  return req.url.slice(req.url.indexOf(':', 6) + 1);
}

describe(fetchGoogleEmail.name, () => {
  it('should read the email with the bearer token', async () => {
    const http = new StubHttp(() => ({ status: 200, body: { email: 'u@x.com' } }));
    expect(await fetchGoogleEmail(http, gemini, 'ya29.t')).toBe('u@x.com');
    expect(http.calls[0]).toMatchObject({
      method: 'GET',
      url: gemini.userInfoUrl,
      headers: { authorization: 'Bearer ya29.t' },
    });
  });

  it('should fail with the status when Google refuses or sends no email', async () => {
    await expect(
      fetchGoogleEmail(new StubHttp(() => ({ status: 401, body: 'nope' })), gemini, 't'),
    ).rejects.toThrow(new AccountCallError('user info', 401, 'nope'));
    await expect(
      fetchGoogleEmail(new StubHttp(() => ({ status: 200, body: {} })), gemini, 't'),
    ).rejects.toThrow(/no email/);
  });
});

describe(setupGeminiProject.name, () => {
  it("should use loadCodeAssist's project and onboard it on the default tier", async () => {
    const http = new StubHttp((req) =>
      method(req) === 'loadCodeAssist'
        ? {
            status: 200,
            body: {
              cloudaicompanionProject: 'managed-1',
              allowedTiers: [{ id: 'free-tier' }, { id: 'standard-tier', isDefault: true }],
            },
          }
        : {
            status: 200,
            body: { done: true, response: { cloudaicompanionProject: { id: 'managed-1' } } },
          },
    );
    expect(await setupGeminiProject(http, gemini, 't', undefined, instant)).toEqual({
      projectId: 'managed-1',
      auto: true,
    });
    expect(http.calls.map(method)).toEqual(['loadCodeAssist', 'onboardUser']);
    expect(http.calls[0].url).toBe('http://ca/v1internal:loadCodeAssist');
    expect(http.bodies()[1]).toMatchObject({
      tierId: 'standard-tier',
      cloudaicompanionProject: 'managed-1',
      metadata: { pluginType: 'GEMINI' },
    });
  });

  it('should poll onboardUser until the operation is done', async () => {
    let onboards = 0;
    const http = new StubHttp((req) => {
      if (method(req) === 'loadCodeAssist')
        return { status: 200, body: { cloudaicompanionProject: 'p' } };
      onboards += 1;
      return onboards < 3
        ? { status: 200, body: { name: 'operations/1', done: false } }
        : { status: 200, body: { done: true, response: { cloudaicompanionProject: 'p' } } };
    });
    const sleep = jest.fn(async () => undefined);
    await setupGeminiProject(http, gemini, 't', undefined, { sleep, intervalMs: 7 });
    expect(onboards).toBe(3);
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledWith(7);
  });

  it('should give up when onboarding never finishes', async () => {
    const http = new StubHttp((req) =>
      method(req) === 'loadCodeAssist'
        ? { status: 200, body: { cloudaicompanionProject: 'p' } }
        : { status: 200, body: { done: false } },
    );
    await expect(
      setupGeminiProject(http, gemini, 't', undefined, { ...instant, maxAttempts: 2 }),
    ).rejects.toThrow(/not finished after 2 attempts/);
  });

  it('should keep a requested project on a paid tier and take the backend project on a free one', async () => {
    const answer = (tier: string) => (req: OAuthHttpRequest) =>
      method(req) === 'loadCodeAssist'
        ? { status: 200, body: { allowedTiers: [{ id: tier, isDefault: true }] } }
        : { status: 200, body: { done: true, response: { cloudaicompanionProject: 'backend-7' } } };
    const paid = new StubHttp(answer('standard-tier'));
    expect(await setupGeminiProject(paid, gemini, 't', 'mine', instant)).toEqual({
      projectId: 'mine',
      auto: false,
    });
    expect(paid.bodies()[0]).toMatchObject({ cloudaicompanionProject: 'mine' });
    const free = new StubHttp(answer('FREE'));
    expect((await setupGeminiProject(free, gemini, 't', 'mine', instant)).projectId).toBe(
      'backend-7',
    );
  });

  it('should let onboarding provision a project when the account has none', async () => {
    const http = new StubHttp((req, n) =>
      method(req) === 'loadCodeAssist'
        ? { status: 200, body: {} }
        : { status: 200, body: { done: true, response: { cloudaicompanionProject: `auto-${n}` } } },
    );
    const p = await setupGeminiProject(http, gemini, 't', undefined, instant);
    expect(p.auto).toBe(true);
    expect(http.bodies()[1]).toEqual({ tierId: 'legacy-tier', metadata: expect.any(Object) });
    expect(http.bodies()[2]).toMatchObject({ cloudaicompanionProject: 'auto-2' });
  });

  it('should say what to do when no project can be found', async () => {
    const http = new StubHttp((req) =>
      method(req) === 'loadCodeAssist'
        ? { status: 200, body: {} }
        : { status: 200, body: { done: true } },
    );
    await expect(setupGeminiProject(http, gemini, 't', undefined, instant)).rejects.toThrow(
      /pass \?project_id=/,
    );
  });
});

describe(listGcpProjects.name, () => {
  it('should list unique project ids', async () => {
    const http = new StubHttp(() => ({
      status: 200,
      body: { projects: [{ projectId: 'a' }, { projectId: 'b' }, { projectId: 'a' }, {}] },
    }));
    expect(await listGcpProjects(http, 'http://crm/v1/projects', 't')).toEqual(['a', 'b']);
  });
});

describe(discoverAntigravityProject.name, () => {
  it("should take loadCodeAssist's project with the Antigravity metadata", async () => {
    const http = new StubHttp(() => ({
      status: 200,
      body: { cloudaicompanionProject: { id: 'agy-1' } },
    }));
    expect(await discoverAntigravityProject(http, agy, 't', instant)).toBe('agy-1');
    expect(http.bodies()[0]).toEqual({ metadata: { ideType: 'ANTIGRAVITY' } });
  });

  it('should onboard on the current tier when loadCodeAssist has no project', async () => {
    const http = new StubHttp((req) =>
      method(req) === 'loadCodeAssist'
        ? { status: 200, body: { currentTier: { id: 'standard-tier' } } }
        : { status: 200, body: { done: true, response: { cloudaicompanionProject: 'agy-2' } } },
    );
    expect(await discoverAntigravityProject(http, agy, 't', instant)).toBe('agy-2');
    expect(http.bodies()[1]).toMatchObject({ tierId: 'standard-tier' });
  });
});

describe(iflowKeyFromCookie.name, () => {
  const ep = { ...defaultOAuthEndpoints('iflow'), apiKeyUrl: 'http://iflow/apikey' };

  it('should read the key name, then rotate the key with the cookie', async () => {
    const http = new StubHttp((req) =>
      req.method === 'GET'
        ? { status: 200, body: { success: true, data: { name: 'me', apiKeyMask: 'sk-**' } } }
        : {
            status: 200,
            body: {
              success: true,
              data: { name: 'me', apiKey: 'sk-new', expireTime: '2099-01-01 00:00' },
            },
          },
    );
    expect(await iflowKeyFromCookie(http, ep, 'BXAuth=b;')).toEqual({
      apiKey: 'sk-new',
      name: 'me',
      expireTime: '2099-01-01 00:00',
    });
    expect(http.calls.map((c) => c.headers.cookie)).toEqual(['BXAuth=b;', 'BXAuth=b;']);
    expect(http.bodies()[1]).toEqual({ name: 'me' });
  });

  it("should pass on the platform's refusal", async () => {
    const http = new StubHttp(() => ({
      status: 200,
      body: { success: false, message: 'login expired' },
    }));
    await expect(iflowKeyFromCookie(http, ep, 'BXAuth=b;')).rejects.toThrow(/login expired/);
  });
});

describe(extractBxAuth.name, () => {
  it('should find BXAuth anywhere in a cookie header', () => {
    expect(extractBxAuth('BXAuth=abc')).toBe('abc');
    expect(extractBxAuth('theme=dark; BXAuth=abc; x=1')).toBe('abc');
    expect(extractBxAuth('xBXAuth=abc')).toBeUndefined();
    expect(extractBxAuth('theme=dark')).toBeUndefined();
  });
});
