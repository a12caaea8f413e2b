import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The OAuth endpoint tables the fake plays (config `oauth-endpoints` keys). */
export type IdpProvider =
  'claude' | 'codex' | 'gemini-cli' | 'antigravity' | 'qwen' | 'iflow' | 'kimi';

/** The account each provider signs in. */
export interface IdpAccount {
  email: string;
  /** Codex `chatgpt_plan_type`. */
  plan?: string;
  /** Codex `chatgpt_account_id`. */
  accountId?: string;
  /** iFlow API key (OAuth user info and cookie logins). */
  apiKey?: string;
}

/** One call to a token endpoint, as the fake saw it. */
export interface IdpTokenCall {
  provider: IdpProvider;
  grantType: string;
  code?: string;
  /** The answer's HTTP status. */
  status: number;
}

interface IssuedCode {
  provider: IdpProvider;
  redirectUri: string;
  challenge?: string;
  clientId: string;
  used: boolean;
}

interface DeviceGrant {
  provider: 'qwen' | 'kimi';
  userCode: string;
  challenge?: string;
  deviceId?: string;
  approved: boolean;
  denied: boolean;
  consumed: boolean;
}

/** Options of the fake. */
export interface LoginIdpOptions {
  /** Device-flow poll interval the fake asks for, seconds (default 1: fast tests). */
  deviceInterval?: number;
  /** Qwen's `resource_url` (where Qwen chat calls go). */
  qwenResourceUrl?: string;
  /** Google Cloud projects the project list returns. */
  gcpProjects?: string[];
}

const PKCE_PROVIDERS: ReadonlySet<IdpProvider> = new Set(['claude', 'codex', 'antigravity']);
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const DEFAULT_ACCOUNTS: Record<IdpProvider, IdpAccount> = {
  claude: { email: 'max@example.com' },
  codex: { email: 'plus@example.com', plan: 'plus', accountId: 'acct-login-1' },
  'gemini-cli': { email: 'cli@example.com' },
  antigravity: { email: 'agy@example.com' },
  qwen: { email: 'qwen@example.com' },
  iflow: { email: 'i@example.com', apiKey: 'sk-iflow-login-key' },
  kimi: { email: 'kimi@example.com' },
};

/** An unsigned JWT with these claims (clients only read claims). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  if ((req.headers['content-type'] ?? '').includes('json')) {
    const obj = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * A fake identity provider for every login flow: authorize pages that redirect straight back
 * with a code (checking client id, redirect URI and PKCE challenge), token endpoints for the
 * code and device grants (checking the PKCE verifier, single use), device authorization, Google
 * userinfo, iFlow user info and cookie API keys, and a Google Cloud project list. Paths are
 * `/<provider>/<endpoint>`; `endpointsYaml` writes the matching `oauth-endpoints` block.
 */
export class FakeLoginIdp {
  readonly accounts: Record<IdpProvider, IdpAccount> = structuredClone(DEFAULT_ACCOUNTS);
  private readonly codes = new Map<string, IssuedCode>();
  private readonly devices = new Map<string, DeviceGrant>();
  private readonly tokenOwners = new Map<string, IdpProvider>();
  private readonly calls: IdpTokenCall[] = [];
  private readonly denyNext = new Set<IdpProvider>();
  private seq = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: LoginIdpOptions,
  ) {}

  /** Start on a free loopback port. */
  static async start(opts: LoginIdpOptions = {}): Promise<FakeLoginIdp> {
    const holder: { idp?: FakeLoginIdp } = {};
    const server = createServer((req, res) => {
      holder.idp!.handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    holder.idp = new FakeLoginIdp(server, `http://127.0.0.1:${port}`, opts);
    return holder.idp;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /**
   * `oauth-endpoints` for config.yaml (indented under the key), every provider pointed here.
   * `redirects` are the redirect URIs to register; `codeAssist` is the Code Assist base.
   */
  endpointsYaml(redirects: Partial<Record<IdpProvider, string>>, codeAssist: string): string {
    const u = this.url;
    const block = (p: IdpProvider, fields: Record<string, string | undefined>) =>
      `  ${p}:\n` +
      Object.entries({ ...fields, 'redirect-uri': redirects[p] })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `    ${k}: "${v}"`)
        .join('\n');
    return [
      'oauth-endpoints:',
      block('claude', {
        'authorize-url': `${u}/claude/authorize`,
        'token-url': `${u}/claude/token`,
      }),
      block('codex', { 'authorize-url': `${u}/codex/authorize`, 'token-url': `${u}/codex/token` }),
      block('gemini-cli', {
        'authorize-url': `${u}/gemini-cli/authorize`,
        'token-url': `${u}/gemini-cli/token`,
        'userinfo-url': `${u}/gemini-cli/userinfo`,
        'api-base': codeAssist,
      }),
      block('antigravity', {
        'authorize-url': `${u}/antigravity/authorize`,
        'token-url': `${u}/antigravity/token`,
        'userinfo-url': `${u}/antigravity/userinfo`,
        'api-base': codeAssist,
      }),
      block('iflow', {
        'authorize-url': `${u}/iflow/authorize`,
        'token-url': `${u}/iflow/token`,
        'userinfo-url': `${u}/iflow/getUserInfo`,
        'api-key-url': `${u}/iflow/apikey`,
      }),
      block('qwen', { 'device-code-url': `${u}/qwen/device`, 'token-url': `${u}/qwen/token` }),
      block('kimi', { 'device-code-url': `${u}/kimi/device`, 'token-url': `${u}/kimi/token` }),
    ].join('\n');
  }

  /** Every token-endpoint call so far. */
  tokenCalls(): IdpTokenCall[] {
    return [...this.calls];
  }

  /** How many times a code was presented at a token endpoint. */
  exchangesOf(code: string): number {
    return this.calls.filter((c) => c.code === code).length;
  }

  /** The user approves a device login (by the code shown to them). */
  approveDevice(userCode: string): void {
    const g = [...this.devices.values()].find((d) => d.userCode === userCode);
    if (!g) throw new Error(`no device login with user code ${userCode}`);
    g.approved = true;
  }

  /** The user refuses a device login. */
  denyDevice(userCode: string): void {
    const g = [...this.devices.values()].find((d) => d.userCode === userCode);
    if (!g) throw new Error(`no device login with user code ${userCode}`);
    g.denied = true;
  }

  /** The next authorize for this provider redirects back with `error=access_denied`. */
  denyNextAuthorize(provider: IdpProvider): void {
    this.denyNext.add(provider);
  }

  private next(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${this.seq}-${randomBytes(4).toString('hex')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const [, provider, endpoint] = url.pathname.split('/') as [string, IdpProvider, string];
    if (!(provider in this.accounts)) return send(res, 404, { error: 'unknown provider' });
    if (endpoint === 'authorize' && req.method === 'GET') return this.authorize(provider, url, res);
    if (endpoint === 'token' && req.method === 'POST') return this.token(provider, req, res);
    if (endpoint === 'device' && req.method === 'POST') return this.device(provider, req, res);
    if (endpoint === 'userinfo') return this.userinfo(req, res);
    if (provider === 'iflow' && endpoint === 'getUserInfo') return this.iflowUserInfo(url, res);
    if (provider === 'iflow' && endpoint === 'apikey') return this.iflowApiKey(req, res);
    if (endpoint === 'projects') {
      return send(res, 200, {
        projects: (this.opts.gcpProjects ?? ['proj-a']).map((projectId) => ({ projectId })),
      });
    }
    send(res, 404, { error: 'not found' });
  }

  private authorize(provider: IdpProvider, url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = provider === 'iflow' ? q.get('redirect') : q.get('redirect_uri');
    const state = q.get('state');
    const clientId = q.get('client_id');
    if (!redirectUri || !state || !clientId) {
      return send(res, 400, { error: 'invalid_request', error_description: 'missing parameters' });
    }
    const challenge = q.get('code_challenge') ?? undefined;
    if (PKCE_PROVIDERS.has(provider) && (!challenge || q.get('code_challenge_method') !== 'S256')) {
      return send(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
    }
    const back = new URL(redirectUri);
    if (this.denyNext.delete(provider)) {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = this.next(`code-${provider}`);
      this.codes.set(code, { provider, redirectUri, challenge, clientId, used: false });
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  private tokenAnswer(
    provider: IdpProvider,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    const acct = this.accounts[provider];
    const access =
      provider === 'codex'
        ? fakeJwt({ exp: Math.floor(Date.now() / 1000) + 3600, sub: this.next('user') })
        : this.next(`at-${provider}`);
    this.tokenOwners.set(access, provider);
    const base: Record<string, unknown> = {
      access_token: access,
      refresh_token: this.next(`rt-${provider}`),
      token_type: 'Bearer',
      expires_in: 3600,
      ...extra,
    };
    if (provider === 'claude') {
      base.account = { uuid: 'acct-uuid', email_address: acct.email };
      base.organization = { uuid: 'org-uuid', name: 'Org' };
    }
    if (provider === 'codex') {
      base.id_token = fakeJwt({
        email: acct.email,
        'https://api.openai.com/auth': {
          chatgpt_account_id: acct.accountId,
          chatgpt_plan_type: acct.plan,
        },
      });
    }
    if (provider === 'qwen' && this.opts.qwenResourceUrl)
      base.resource_url = this.opts.qwenResourceUrl;
    return base;
  }

  private async token(
    provider: IdpProvider,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = await readBody(req);
    const reply = (status: number, answer: unknown, code?: string) => {
      this.calls.push({ provider, grantType: body.grant_type ?? '', code, status });
      send(res, status, answer);
    };
    if (provider === 'iflow' && !(req.headers.authorization ?? '').startsWith('Basic ')) {
      return reply(401, { error: 'invalid_client' });
    }
    if (body.grant_type === 'authorization_code') {
      const issued = this.codes.get(body.code ?? '');
      if (!issued || issued.provider !== provider || issued.used) {
        return reply(
          400,
          { error: 'invalid_grant', error_description: 'unknown or used code' },
          body.code,
        );
      }
      issued.used = true;
      if (body.redirect_uri !== issued.redirectUri) {
        return reply(
          400,
          { error: 'invalid_grant', error_description: 'redirect_uri mismatch' },
          body.code,
        );
      }
      if (issued.challenge) {
        const expected = createHash('sha256')
          .update(body.code_verifier ?? '')
          .digest('base64url');
        if (expected !== issued.challenge) {
          return reply(
            400,
            { error: 'invalid_grant', error_description: 'PKCE verification failed' },
            body.code,
          );
        }
      }
      if (provider === 'claude' && !body.state) {
        return reply(
          400,
          { error: 'invalid_request', error_description: 'state required' },
          body.code,
        );
      }
      return reply(200, this.tokenAnswer(provider), body.code);
    }
    if (body.grant_type === DEVICE_GRANT) {
      const g = this.devices.get(body.device_code ?? '');
      // Qwen answers a pending poll with 400, Kimi with 200; both carry `error`.
      const pendingStatus = provider === 'kimi' ? 200 : 400;
      if (!g || g.consumed) return reply(400, { error: 'expired_token' });
      if (g.provider === 'kimi' && req.headers['x-msh-device-id'] !== g.deviceId) {
        return reply(400, { error: 'invalid_request', error_description: 'device id mismatch' });
      }
      if (g.challenge) {
        const expected = createHash('sha256')
          .update(body.code_verifier ?? '')
          .digest('base64url');
        if (expected !== g.challenge) return reply(400, { error: 'invalid_grant' });
      }
      if (g.denied) return reply(pendingStatus, { error: 'access_denied' });
      if (!g.approved) return reply(pendingStatus, { error: 'authorization_pending' });
      g.consumed = true;
      return reply(
        200,
        this.tokenAnswer(provider, provider === 'kimi' ? { scope: 'kimi-code' } : {}),
      );
    }
    if (body.grant_type === 'refresh_token') return reply(200, this.tokenAnswer(provider));
    reply(400, { error: 'unsupported_grant_type' });
  }

  private async device(
    provider: IdpProvider,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (provider !== 'qwen' && provider !== 'kimi')
      return send(res, 404, { error: 'no device flow' });
    const body = await readBody(req);
    if (!body.client_id) return send(res, 400, { error: 'invalid_client' });
    if (provider === 'qwen' && (!body.code_challenge || body.code_challenge_method !== 'S256')) {
      return send(res, 400, { error: 'invalid_request', error_description: 'PKCE required' });
    }
    const deviceCode = this.next(`dc-${provider}`);
    const userCode = randomBytes(3).toString('hex').toUpperCase();
    this.devices.set(deviceCode, {
      provider,
      userCode,
      challenge: body.code_challenge,
      deviceId: req.headers['x-msh-device-id'] as string | undefined,
      approved: false,
      denied: false,
      consumed: false,
    });
    send(res, 200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${this.url}/${provider}/verify`,
      verification_uri_complete: `${this.url}/${provider}/verify?user_code=${userCode}`,
      expires_in: 600,
      interval: this.opts.deviceInterval ?? 1,
    });
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const owner = this.tokenOwners.get(token);
    if (!owner) return send(res, 401, { error: 'invalid_token' });
    send(res, 200, { email: this.accounts[owner].email, verified_email: true });
  }

  private iflowUserInfo(url: URL, res: ServerResponse): void {
    const owner = this.tokenOwners.get(url.searchParams.get('accessToken') ?? '');
    if (owner !== 'iflow') return send(res, 200, { success: false, message: 'invalid token' });
    const a = this.accounts.iflow;
    send(res, 200, { success: true, data: { apiKey: a.apiKey, email: a.email, phone: '' } });
  }

  private async iflowApiKey(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cookie = req.headers.cookie ?? '';
    if (!/BXAuth=[^;]+/.test(cookie))
      return send(res, 200, { success: false, message: 'login required' });
    const a = this.accounts.iflow;
    const expireTime = '2099-01-01 00:00';
    if (req.method === 'GET') {
      return send(res, 200, {
        success: true,
        data: { name: a.email, apiKeyMask: 'sk-****', expireTime, hasExpired: false },
      });
    }
    const body = await readBody(req);
    send(res, 200, { success: true, data: { name: body.name, apiKey: a.apiKey, expireTime } });
  }
}
