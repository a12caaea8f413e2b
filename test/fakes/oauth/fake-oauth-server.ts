// A fake OAuth token server and fake quota endpoints for every provider the worker refreshes and
// polls. Node built-ins only (runs from dist/ too). See test/fakes/README.md.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The providers this fake plays (config `oauth-endpoints` keys). */
export type FakeOAuthProvider =
  'claude' | 'codex' | 'gemini-cli' | 'antigravity' | 'qwen' | 'iflow' | 'kimi';

/** Every provider, for building config. */
export const FAKE_OAUTH_PROVIDERS: readonly FakeOAuthProvider[] = [
  'claude',
  'codex',
  'gemini-cli',
  'antigravity',
  'qwen',
  'iflow',
  'kimi',
];

/** The quota endpoints this fake serves. */
export type FakeQuotaKind = 'antigravity' | 'gemini-cli' | 'claude' | 'codex' | 'kimi' | 'copilot';

/** One call to a token endpoint. */
export interface TokenCall {
  provider: FakeOAuthProvider;
  grantType: string;
  /** The refresh token presented (refresh grant). */
  refreshToken?: string;
  /** `form` or `json`: how the body was encoded. */
  encoding: 'form' | 'json';
  clientId?: string;
  status: number;
  /** Date.now() when the request arrived. */
  at: number;
}

/** One call to a quota endpoint. */
export interface QuotaCall {
  kind: FakeQuotaKind;
  method: string;
  path: string;
  /** The bearer token presented. */
  token?: string;
  body?: unknown;
  headers: Record<string, string>;
}

/** Options of the fake. */
export interface FakeOAuthOptions {
  /** Lifetime of issued access tokens, seconds (default 3600). */
  expiresIn?: number;
  /**
   * Issue a new refresh token on every refresh (Claude and Codex do); the old one then answers
   * `invalid_grant` (`refresh_token_reused` for Codex), which makes a double refresh visible.
   */
  rotateRefreshTokens?: boolean;
  /** Delay before a token answer, ms (lets tests overlap requests with a refresh). */
  tokenDelayMs?: number;
  /** Poll interval the device endpoint asks for, seconds (default 1). */
  deviceInterval?: number;
}

type Json = Record<string, unknown>;
type QuotaReply = Json | ((call: QuotaCall) => { status: number; body: Json });

interface DeviceState {
  provider: FakeOAuthProvider;
  userCode: string;
  approved: boolean;
  consumed: boolean;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** An unsigned JWT with these claims (clients only read claims). */
export function unsignedJwt(claims: Json): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const PROVIDER_PREFIX: Readonly<Record<string, FakeOAuthProvider>> = {
  claude: 'claude',
  codex: 'codex',
  'gemini-cli': 'gemini-cli',
  antigravity: 'antigravity',
  qwen: 'qwen',
  iflow: 'iflow',
  kimi: 'kimi',
};

/** Realistic quota answers, one per endpoint (all fields as the providers send them). */
export function defaultQuotaReplies(now = Date.now()): Record<FakeQuotaKind, Json> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const inHours = (h: number) => now + h * 3600_000;
  return {
    antigravity: {
      models: {
        'gemini-2.5-pro': {
          displayName: 'Gemini 2.5 Pro',
          quotaInfo: { remainingFraction: 0.8, resetTime: iso(inHours(5)) },
        },
        'claude-sonnet-4-5': {
          displayName: 'Claude Sonnet 4.5',
          quotaInfo: { remainingFraction: 0.35, resetTime: iso(inHours(3)) },
        },
        chat_20706: { displayName: 'internal' },
      },
    },
    'gemini-cli': {
      buckets: [
        {
          modelId: 'gemini-2.5-pro',
          tokenType: 'REQUESTS',
          remainingFraction: 0.9,
          resetTime: iso(inHours(20)),
        },
        {
          modelId: 'gemini-2.5-flash',
          tokenType: 'REQUESTS',
          remainingFraction: 1,
          resetTime: iso(inHours(20)),
        },
      ],
    },
    claude: {
      five_hour: { utilization: 24.0, resets_at: iso(inHours(2)).replace('Z', '+00:00') },
      seven_day: { utilization: 36.0, resets_at: iso(inHours(100)).replace('Z', '+00:00') },
      seven_day_opus: null,
      seven_day_oauth_apps: null,
      extra_usage: {
        is_enabled: false,
        monthly_limit: null,
        used_credits: null,
        utilization: null,
      },
    },
    codex: {
      plan_type: 'plus',
      rate_limit: {
        allowed: true,
        limit_reached: false,
        primary_window: {
          used_percent: 3,
          limit_window_seconds: 18000,
          reset_after_seconds: 15858,
          reset_at: Math.floor(now / 1000) + 15858,
        },
        secondary_window: {
          used_percent: 9,
          limit_window_seconds: 604800,
          reset_after_seconds: 489450,
          reset_at: Math.floor(now / 1000) + 489450,
        },
      },
      code_review_rate_limit: null,
      credits: { has_credits: false, unlimited: false, balance: '0' },
    },
    kimi: {
      user: { userId: 'u-1', region: 'REGION_CN', membershipLevel: 'LEVEL_BASIC' },
      usage: { limit: '100', used: '26', remaining: '74', resetTime: iso(inHours(72)) },
      limits: [
        {
          window: { duration: 300, timeUnit: 'TIME_UNIT_MINUTE' },
          detail: { limit: '100', used: '10', remaining: '90', resetTime: iso(inHours(3)) },
        },
      ],
    },
    copilot: {
      login: 'octo',
      copilot_plan: 'individual',
      access_type_sku: 'plus_monthly_subscriber_quota',
      quota_reset_date: iso(inHours(240)).slice(0, 10),
      quota_reset_date_utc: iso(inHours(240)),
      quota_snapshots: {
        chat: {
          entitlement: 0,
          remaining: 0,
          percent_remaining: 100,
          unlimited: true,
          quota_id: 'chat',
        },
        completions: {
          entitlement: 0,
          remaining: 0,
          percent_remaining: 100,
          unlimited: true,
          quota_id: 'completions',
        },
        premium_interactions: {
          entitlement: 300,
          remaining: 120,
          percent_remaining: 40,
          unlimited: false,
          overage_count: 0,
          overage_permitted: false,
          quota_id: 'premium_interactions',
        },
      },
    },
  };
}

/** The same answers with every quota spent (reset times kept), for cooldown tests. */
export function exhaustedQuotaReply(kind: FakeQuotaKind, resetAt: number): Json {
  const iso = new Date(resetAt).toISOString();
  switch (kind) {
    case 'antigravity':
      // Zero fractions are left out of the real answer (protobuf default values).
      return {
        models: {
          'gemini-2.5-pro': { displayName: 'Gemini 2.5 Pro', quotaInfo: { resetTime: iso } },
        },
      };
    case 'gemini-cli':
      return {
        buckets: [
          {
            modelId: 'gemini-2.5-pro',
            tokenType: 'REQUESTS',
            remainingFraction: 0,
            resetTime: iso,
          },
        ],
      };
    case 'claude':
      return {
        five_hour: { utilization: 100.0, resets_at: iso },
        seven_day: { utilization: 60.0, resets_at: iso },
      };
    case 'codex':
      return {
        plan_type: 'plus',
        rate_limit: {
          allowed: false,
          limit_reached: true,
          primary_window: {
            used_percent: 100,
            limit_window_seconds: 18000,
            reset_after_seconds: Math.max(0, Math.round((resetAt - Date.now()) / 1000)),
            reset_at: Math.floor(resetAt / 1000),
          },
          secondary_window: null,
        },
      };
    case 'kimi':
      return {
        user: { membershipLevel: 'LEVEL_BASIC' },
        usage: { limit: '100', used: '100', remaining: '0', resetTime: iso },
        limits: [],
      };
    case 'copilot':
      return {
        copilot_plan: 'individual',
        quota_reset_date_utc: iso,
        quota_snapshots: {
          premium_interactions: {
            entitlement: 300,
            remaining: 0,
            percent_remaining: 0,
            unlimited: false,
          },
        },
      };
  }
}

/**
 * Token endpoints for every provider (`/<provider>/token`, JSON or form bodies, grants
 * `authorization_code`, `refresh_token` and the device-code grant), device authorization
 * (`/<provider>/device/code`), user info (`/<provider>/userinfo`, iFlow's API key) and the quota
 * endpoints at their real paths. Refresh tokens are counted per token and can be revoked.
 */
export class FakeOAuthServer {
  readonly tokenCalls: TokenCall[] = [];
  readonly quotaCalls: QuotaCall[] = [];
  private readonly refreshCounts = new Map<string, number>();
  private readonly revoked = new Set<string>();
  private readonly codes = new Map<
    string,
    { provider: FakeOAuthProvider; challenge?: string; used: boolean }
  >();
  private readonly devices = new Map<string, DeviceState>();
  private readonly issuedAccess = new Set<string>();
  private readonly quota = new Map<FakeQuotaKind, QuotaReply>();
  private expiresIn: number;
  private seq = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: FakeOAuthOptions,
  ) {
    this.expiresIn = opts.expiresIn ?? 3600;
  }

  /** Start on a free loopback port. */
  static async start(opts: FakeOAuthOptions = {}): Promise<FakeOAuthServer> {
    const holder: { self?: FakeOAuthServer } = {};
    const server = createServer((req, res) => {
      const self = holder.self;
      if (!self) return send(res, 503, { error: 'starting' });
      self.handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.self = new FakeOAuthServer(server, `http://127.0.0.1:${port}`, opts);
    return holder.self;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * The `oauth-endpoints` block of config.yaml pointing every provider at this fake (indent it
   * under `oauth-endpoints:`). `extra` adds fields per provider (e.g. `refresh-lead-seconds`).
   */
  endpointsYaml(
    extra: Partial<Record<FakeOAuthProvider, Record<string, string | number>>> = {},
  ): string {
    const lines: string[] = ['oauth-endpoints:'];
    for (const p of FAKE_OAUTH_PROVIDERS) {
      const fields: Record<string, string | number> = {
        'authorize-url': `${this.url}/${p}/authorize`,
        'token-url': `${this.url}/${p}/token`,
        'device-code-url': `${this.url}/${p}/device/code`,
        'userinfo-url': `${this.url}/${p}/userinfo`,
        'api-base': p === 'kimi' ? `${this.url}/coding` : this.url,
        ...extra[p],
      };
      lines.push(`  ${p}:`);
      for (const [k, v] of Object.entries(fields)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Refresh requests that presented this refresh token. */
  refreshCount(refreshToken: string): number {
    return this.refreshCounts.get(refreshToken) ?? 0;
  }

  /** Every refresh-grant call (any token). */
  get refreshCalls(): TokenCall[] {
    return this.tokenCalls.filter((c) => c.grantType === 'refresh_token');
  }

  /** From now on this refresh token answers `invalid_grant`. */
  revoke(refreshToken: string): void {
    this.revoked.add(refreshToken);
  }

  /** Lifetime of access tokens issued from now on, seconds. */
  setExpiresIn(seconds: number): void {
    this.expiresIn = seconds;
  }

  /** True when this fake issued the access token (quota calls check it when asked). */
  issued(accessToken: string): boolean {
    return this.issuedAccess.has(accessToken);
  }

  /** Replace one quota endpoint's answer (a body, or a function of the call). */
  setQuota(kind: FakeQuotaKind, reply: QuotaReply): void {
    this.quota.set(kind, reply);
  }

  /** Register an authorization code (optionally bound to a PKCE S256 challenge). */
  issueCode(provider: FakeOAuthProvider, code: string, codeChallenge?: string): void {
    this.codes.set(code, { provider, challenge: codeChallenge, used: false });
  }

  /** Approve a pending device flow by its user code (as the user would in a browser). */
  approveDevice(userCode: string): boolean {
    for (const d of this.devices.values()) {
      if (d.userCode === userCode) {
        d.approved = true;
        return true;
      }
    }
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const text = req.method === 'POST' ? await readBody(req) : '';
    const [, first, ...rest] = path.split('/');
    const provider = PROVIDER_PREFIX[first ?? ''];
    const tail = rest.join('/');
    if (provider && req.method === 'POST' && tail === 'token') {
      return this.token(provider, req, text, res);
    }
    if (provider && req.method === 'POST' && tail === 'device/code') {
      return this.deviceCode(provider, res);
    }
    if (provider && req.method === 'GET' && tail === 'userinfo') {
      return this.userInfo(provider, url, req, res);
    }
    const quota = quotaKindOf(req.method ?? 'GET', path);
    if (quota) return this.quotaAnswer(quota, req, path, text, res);
    send(res, 404, { error: `fake oauth: no route for ${req.method} ${path}` });
  }

  private async token(
    provider: FakeOAuthProvider,
    req: IncomingMessage,
    text: string,
    res: ServerResponse,
  ): Promise<void> {
    const json = (req.headers['content-type'] ?? '').includes('json');
    let fields: Record<string, string> = {};
    if (json) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (isObject(parsed)) {
          for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields[k] = v;
        }
      } catch {
        fields = {};
      }
    } else {
      fields = Object.fromEntries(new URLSearchParams(text));
    }
    const grantType = fields.grant_type ?? '';
    const arrivedAt = Date.now();
    const record = (status: number) =>
      this.tokenCalls.push({
        provider,
        grantType,
        refreshToken: fields.refresh_token,
        encoding: json ? 'json' : 'form',
        clientId: fields.client_id,
        status,
        at: arrivedAt,
      });
    if (this.opts.tokenDelayMs) await new Promise((r) => setTimeout(r, this.opts.tokenDelayMs));
    const fail = (status: number, error: string, description: string) => {
      record(status);
      send(res, status, { error, error_description: description });
    };
    if (!fields.client_id) return fail(400, 'invalid_request', 'client_id is required');

    if (grantType === 'refresh_token') {
      const rt = fields.refresh_token;
      if (!rt) return fail(400, 'invalid_request', 'refresh_token is required');
      this.refreshCounts.set(rt, this.refreshCount(rt) + 1);
      if (this.revoked.has(rt)) {
        if (provider === 'kimi') return fail(401, 'invalid_grant', 'refresh token revoked');
        if (provider === 'codex') {
          record(401);
          return send(res, 401, {
            error: {
              message: 'Your refresh token has already been used',
              code: 'refresh_token_reused',
            },
          });
        }
        return fail(400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      let next: string | undefined;
      if (this.opts.rotateRefreshTokens) {
        next = `rt-${provider}-${++this.seq}-${randomBytes(3).toString('hex')}`;
        this.revoked.add(rt);
      }
      record(200);
      return send(
        res,
        200,
        this.tokenAnswer(
          provider,
          next ?? (provider === 'gemini-cli' || provider === 'antigravity' ? undefined : rt),
        ),
      );
    }

    if (grantType === 'authorization_code') {
      const code = fields.code ?? '';
      const known = this.codes.get(code);
      if (!code || (known && (known.used || known.provider !== provider))) {
        return fail(400, 'invalid_grant', 'authorization code is invalid or was used');
      }
      if (known?.challenge) {
        const verifier = fields.code_verifier ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (challenge !== known.challenge)
          return fail(400, 'invalid_grant', 'PKCE verification failed');
      }
      if (known) known.used = true;
      record(200);
      return send(res, 200, this.tokenAnswer(provider, `rt-${provider}-${++this.seq}`));
    }

    if (grantType === DEVICE_GRANT) {
      const device = this.devices.get(fields.device_code ?? '');
      if (!device || device.provider !== provider)
        return fail(400, 'invalid_grant', 'unknown device code');
      if (device.consumed) return fail(400, 'expired_token', 'device code already used');
      if (!device.approved) {
        // Kimi answers a pending poll with 200 and an error field; the others with 400.
        record(provider === 'kimi' ? 200 : 400);
        return send(res, provider === 'kimi' ? 200 : 400, {
          error: 'authorization_pending',
          error_description: 'The user has not approved yet',
        });
      }
      device.consumed = true;
      record(200);
      return send(res, 200, this.tokenAnswer(provider, `rt-${provider}-${++this.seq}`));
    }
    return fail(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }

  private tokenAnswer(provider: FakeOAuthProvider, refreshToken: string | undefined): Json {
    const accessToken = `at-${provider}-${++this.seq}-${randomBytes(4).toString('hex')}`;
    this.issuedAccess.add(accessToken);
    const out: Json = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.expiresIn,
    };
    if (refreshToken) out.refresh_token = refreshToken;
    switch (provider) {
      case 'claude':
        out.scope = 'user:inference user:profile';
        out.account = { uuid: 'acc-1', email_address: 'max@example.com' };
        out.organization = { uuid: 'org-1', name: 'Example' };
        break;
      case 'codex':
        out.id_token = unsignedJwt({
          email: 'plus@example.com',
          'https://api.openai.com/auth': {
            chatgpt_account_id: 'acct-77',
            chatgpt_plan_type: 'plus',
          },
        });
        break;
      case 'gemini-cli':
      case 'antigravity':
        out.scope = 'https://www.googleapis.com/auth/cloud-platform';
        out.id_token = unsignedJwt({ email: `${provider}@example.com` });
        break;
      case 'qwen':
        out.resource_url = 'portal.qwen.ai';
        break;
      case 'iflow':
        out.scope = 'read';
        break;
      case 'kimi':
        out.scope = 'kimi-code';
        break;
    }
    return out;
  }

  private deviceCode(provider: FakeOAuthProvider, res: ServerResponse): void {
    const deviceCode = `dc-${randomBytes(8).toString('hex')}`;
    const userCode = randomBytes(3).toString('hex').toUpperCase();
    this.devices.set(deviceCode, { provider, userCode, approved: false, consumed: false });
    send(res, 200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${this.url}/${provider}/device`,
      verification_uri_complete: `${this.url}/${provider}/device?user_code=${userCode}`,
      expires_in: 600,
      interval: this.opts.deviceInterval ?? 1,
    });
  }

  private userInfo(
    provider: FakeOAuthProvider,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (provider === 'iflow') {
      const token = url.searchParams.get('accessToken') ?? '';
      if (!token) return send(res, 400, { success: false, message: 'accessToken is required' });
      return send(res, 200, {
        success: true,
        data: {
          apiKey: `sk-iflow-${createHash('sha256').update(token).digest('hex').slice(0, 12)}`,
          email: 'i@example.com',
          phone: '',
        },
      });
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return send(res, 401, { error: 'unauthenticated' });
    send(res, 200, { id: '1', email: `${provider}@example.com`, verified_email: true });
  }

  private quotaAnswer(
    kind: FakeQuotaKind,
    req: IncomingMessage,
    path: string,
    text: string,
    res: ServerResponse,
  ): void {
    const auth = req.headers.authorization ?? '';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const call: QuotaCall = {
      kind,
      method: req.method ?? 'GET',
      path,
      token: auth.startsWith('Bearer ') ? auth.slice(7) : undefined,
      body,
      headers,
    };
    this.quotaCalls.push(call);
    if (!call.token) return send(res, 401, { error: { message: 'missing bearer token' } });
    // loadCodeAssist rides along with the Gemini CLI quota: the tier.
    if (path.endsWith(':loadCodeAssist')) {
      return send(res, 200, {
        currentTier: { id: 'standard-tier', name: 'Gemini Code Assist' },
        allowedTiers: [{ id: 'standard-tier', isDefault: true }],
        cloudaicompanionProject: 'fake-project',
      });
    }
    const reply = this.quota.get(kind) ?? defaultQuotaReplies()[kind];
    if (typeof reply === 'function') {
      const out = reply(call);
      return send(res, out.status, out.body);
    }
    send(res, 200, reply);
  }
}

/** Which quota endpoint a request hits, by its real path. */
function quotaKindOf(method: string, path: string): FakeQuotaKind | undefined {
  if (method === 'POST' && path.endsWith('/v1internal:fetchAvailableModels')) return 'antigravity';
  if (
    method === 'POST' &&
    (path.endsWith('/v1internal:retrieveUserQuota') || path.endsWith('/v1internal:loadCodeAssist'))
  )
    return 'gemini-cli';
  if (method === 'GET' && path.endsWith('/api/oauth/usage')) return 'claude';
  if (method === 'GET' && path.endsWith('/backend-api/wham/usage')) return 'codex';
  if (method === 'GET' && path.endsWith('/coding/v1/usages')) return 'kimi';
  if (method === 'GET' && path.endsWith('/copilot_internal/user')) return 'copilot';
  return undefined;
}
