import type { OAuthEndpoints, OAuthHttp, OAuthHttpRequest } from '@app/oauth';
import { POLLED_QUOTA_ROUTES, quotaRouteOf, type PolledQuotaRoute } from '@app/providers';
import type { Credential } from '@app/routing';
import {
  parseAntigravityModels,
  parseClaudeUsage,
  parseCodexUsage,
  parseGeminiCliQuota,
  parseKimiUsage,
  type QuotaReading,
} from '@app/quota/quota-normalizers';
import type { QuotaProvider } from '@app/quota/quota.types';

/** Providers with a quota endpoint this worker polls (registry `quota.polled`). */
export const POLLED_QUOTA_PROVIDERS: ReadonlySet<QuotaProvider> = new Set(POLLED_QUOTA_ROUTES);

function isPolled(provider: QuotaProvider): provider is PolledQuotaRoute {
  return POLLED_QUOTA_PROVIDERS.has(provider);
}

/** The message every provider without a quota endpoint answers with. */
export function unsupportedQuotaMessage(provider: string): string {
  return `Quota not supported for provider: ${provider}`;
}

/** The quota provider id of an OAuth account; undefined for API keys and other kinds. */
export function quotaProviderOf(c: Credential): QuotaProvider | undefined {
  if (c.kind !== 'oauth' || c.source !== 'file') return undefined;
  return quotaRouteOf(c.provider);
}

const JSON_SUFFIX = /\.json$/i;

/**
 * The `accountId` of `/api/cliproxy/quota/:provider/:accountId`: the account's email, else its
 * auth file name without `.json`.
 */
export function quotaAccountId(c: Credential): string {
  return c.email ?? (c.fileName ?? c.id).replace(JSON_SUFFIX, '');
}

/** A quota endpoint said no; `status` drives isExpired (401) and isForbidden (403). */
export class QuotaHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'QuotaHttpError';
  }
}

/** Antigravity's Code Assist calls identify the client like its IDE does. */
const ANTIGRAVITY_UA = 'antigravity/1.104.0 linux/x64';
const GEMINI_CLI_UA = 'GeminiCLI/0.1.5 (linux; x64)';
/** Claude's usage endpoint is behind this beta flag. */
const CLAUDE_USAGE_BETA = 'oauth-2025-04-20';
const MAX_ERROR_TEXT = 200;

async function call(http: OAuthHttp, req: OAuthHttpRequest): Promise<unknown> {
  const res = await http.send(req);
  if (res.status < 200 || res.status >= 300) {
    const text = res.text.trim().slice(0, MAX_ERROR_TEXT);
    throw new QuotaHttpError(
      res.status,
      `quota endpoint answered HTTP ${res.status}${text ? `: ${text}` : ''}`,
    );
  }
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    throw new QuotaHttpError(res.status, 'quota endpoint answered with something other than JSON');
  }
}

function bearer(c: Credential, extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${c.secret.accessToken ?? ''}`,
    accept: 'application/json',
    ...extra,
  };
}

/** The first project of a comma-separated `project_id`. */
function project(c: Credential): string | undefined {
  return c.secret.projectId?.split(',')[0]?.trim() || undefined;
}

/** One account's quota call: where its provider API lives and who asks. */
interface QuotaCall {
  http: OAuthHttp;
  /** The provider API (`oauth-endpoints.<provider>.api-base`). */
  base: string;
  c: Credential;
  now: number;
}

async function antigravityQuota({ http, base, c }: QuotaCall): Promise<QuotaReading> {
  const body = await call(http, {
    method: 'POST',
    url: `${base}/v1internal:fetchAvailableModels`,
    headers: bearer(c, { 'content-type': 'application/json', 'user-agent': ANTIGRAVITY_UA }),
    body: JSON.stringify(project(c) ? { project: project(c) } : {}),
    proxyUrl: c.proxyUrl,
  });
  return parseAntigravityModels(body);
}

async function geminiCliQuota({ http, base, c }: QuotaCall): Promise<QuotaReading> {
  const headers = bearer(c, { 'content-type': 'application/json', 'user-agent': GEMINI_CLI_UA });
  const p = project(c);
  const proxyUrl = c.proxyUrl;
  const quota = await call(http, {
    method: 'POST',
    url: `${base}/v1internal:retrieveUserQuota`,
    headers,
    body: JSON.stringify(p ? { project: p } : {}),
    proxyUrl,
  });
  // The tier is a nicety: a failing loadCodeAssist must not lose the quota itself.
  const tier = await call(http, {
    method: 'POST',
    url: `${base}/v1internal:loadCodeAssist`,
    headers,
    body: JSON.stringify({
      cloudaicompanionProject: p,
      metadata: {
        ideType: 'IDE_UNSPECIFIED',
        platform: 'PLATFORM_UNSPECIFIED',
        pluginType: 'GEMINI',
        duetProject: p,
      },
    }),
    proxyUrl,
  }).catch(() => undefined);
  return parseGeminiCliQuota(quota, tier);
}

async function claudeQuota({ http, base, c }: QuotaCall): Promise<QuotaReading> {
  const body = await call(http, {
    method: 'GET',
    url: `${base}/api/oauth/usage`,
    headers: bearer(c, { 'anthropic-beta': CLAUDE_USAGE_BETA }),
    proxyUrl: c.proxyUrl,
  });
  return parseClaudeUsage(body);
}

async function codexQuota({ http, base, c, now }: QuotaCall): Promise<QuotaReading> {
  const extra: Record<string, string> = {};
  if (c.secret.accountId) extra['chatgpt-account-id'] = c.secret.accountId;
  const body = await call(http, {
    method: 'GET',
    url: `${base}/backend-api/wham/usage`,
    headers: bearer(c, extra),
    proxyUrl: c.proxyUrl,
  });
  return parseCodexUsage(body, now);
}

async function kimiQuota({ http, base, c }: QuotaCall): Promise<QuotaReading> {
  const body = await call(http, {
    method: 'GET',
    url: `${base}/v1/usages`,
    headers: bearer(c),
    proxyUrl: c.proxyUrl,
  });
  return parseKimiUsage(body);
}

/**
 * The fetcher of every polled quota route, keyed by the registry's derived union: a row with
 * `quota.polled: true` and no fetcher here fails to type-check.
 */
const FETCHERS: Readonly<Record<PolledQuotaRoute, (q: QuotaCall) => Promise<QuotaReading>>> = {
  agy: antigravityQuota,
  gemini: geminiCliQuota,
  claude: claudeQuota,
  codex: codexQuota,
  kimi: kimiQuota,
};

/**
 * Ask a provider's quota endpoint and normalize the answer. `ep.apiBase` is where the
 * endpoints live (Code Assist, api.anthropic.com, chatgpt.com, api.kimi.com/coding).
 */
export async function fetchQuotaReading(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  provider: QuotaProvider,
  c: Credential,
  now: number,
): Promise<QuotaReading> {
  if (!isPolled(provider)) throw new Error(unsupportedQuotaMessage(provider));
  return FETCHERS[provider]({ http, base: ep.apiBase, c, now });
}
