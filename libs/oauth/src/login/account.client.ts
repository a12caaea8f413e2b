import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { OAuthHttp, OAuthHttpRequest } from '@app/oauth/oauth-http.repository';

/** A failed account call made after the token exchange (user info, Code Assist, iFlow keys). */
export class AccountCallError extends Error {
  constructor(
    /** What was being fetched, for the user: "user info", "Code Assist onboarding"… */
    readonly what: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`${what} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${detail}`);
    this.name = 'AccountCallError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

const MAX_DETAIL = 200;

/** Send a request and parse a JSON object answer; throws AccountCallError otherwise. */
async function callJson(http: OAuthHttp, what: string, req: OAuthHttpRequest): Promise<Json> {
  let res;
  try {
    res = await http.send(req);
  } catch (err) {
    throw new AccountCallError(what, undefined, (err as Error).message);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  if (res.status < 200 || res.status >= 300 || !isObject(body)) {
    const detail = res.text.trim().slice(0, MAX_DETAIL) || 'empty answer';
    throw new AccountCallError(what, res.status, detail);
  }
  return body;
}

function bearer(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
}

/** The account's email from Google's userinfo endpoint (Gemini CLI, Antigravity). */
export async function fetchGoogleEmail(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  accessToken: string,
): Promise<string> {
  if (!ep.userInfoUrl) throw new AccountCallError('user info', undefined, 'no userinfo-url');
  const body = await callJson(http, 'user info', {
    method: 'GET',
    url: ep.userInfoUrl,
    headers: bearer(accessToken),
  });
  const email = text(body.email);
  if (!email) throw new AccountCallError('user info', 200, 'the answer has no email');
  return email;
}

/** Waits between onboarding polls; tests pass a no-op. */
export type Sleep = (ms: number) => Promise<void>;

/** Tuning of the Code Assist onboarding poll. */
export interface OnboardOptions {
  sleep?: Sleep;
  /** Calls of onboardUser before giving up (each one asks "done yet?"). */
  maxAttempts?: number;
  intervalMs?: number;
}

const defaultSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The metadata gemini-cli sends; Code Assist uses it to pick the client's tier rules.
const GEMINI_METADATA = {
  ideType: 'IDE_UNSPECIFIED',
  platform: 'PLATFORM_UNSPECIFIED',
  pluginType: 'GEMINI',
};
const ANTIGRAVITY_METADATA = { ideType: 'ANTIGRAVITY' };

/** `cloudaicompanionProject` arrives as a string or as `{id, name}`. */
function projectOf(obj: Json | undefined): string | undefined {
  if (!obj) return undefined;
  for (const key of ['cloudaicompanionProject', 'projectId', 'project']) {
    const v = obj[key];
    const id = typeof v === 'string' ? text(v) : isObject(v) ? text(v.id) : undefined;
    if (id) return id;
  }
  return undefined;
}

/** The tier onboarding should ask for: the default allowed tier, else the current one. */
function defaultTier(load: Json, fallback: string): string {
  const tiers = Array.isArray(load.allowedTiers) ? load.allowedTiers : [];
  for (const t of tiers) {
    if (isObject(t) && t.isDefault === true && text(t.id)) return text(t.id) as string;
  }
  const current = isObject(load.currentTier) ? text(load.currentTier.id) : undefined;
  return current ?? fallback;
}

async function codeAssist(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  method: 'loadCodeAssist' | 'onboardUser',
  accessToken: string,
  body: Json,
): Promise<Json> {
  return callJson(http, `Code Assist ${method}`, {
    method: 'POST',
    url: `${ep.apiBase}/v1internal:${method}`,
    headers: { ...bearer(accessToken), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Call onboardUser until the long-running operation says done; returns its project, if any. */
async function onboard(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  accessToken: string,
  body: Json,
  opts: OnboardOptions,
): Promise<string | undefined> {
  const sleep = opts.sleep ?? defaultSleep;
  const attempts = opts.maxAttempts ?? 10;
  for (let i = 0; i < attempts; i++) {
    const op = await codeAssist(http, ep, 'onboardUser', accessToken, body);
    if (op.done === true) return projectOf(isObject(op.response) ? op.response : undefined);
    await sleep(opts.intervalMs ?? 2000);
  }
  throw new AccountCallError(
    'Code Assist onboarding',
    undefined,
    `not finished after ${attempts} attempts`,
  );
}

/** Where a Gemini CLI account's project came from. */
export interface GeminiProject {
  projectId: string;
  /** True when the project was discovered rather than asked for. */
  auto: boolean;
}

/**
 * Set the account up for Code Assist in one project and return the project to use, as the Gemini
 * CLI does: loadCodeAssist (with the requested project, if any) for the tier and the managed
 * project, then onboardUser until done. Free tiers map a requested `gen-lang-client-…` project
 * to a backend project; Code Assist's answer wins there, the requested one wins otherwise.
 */
export async function setupGeminiProject(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  accessToken: string,
  requested: string | undefined,
  opts: OnboardOptions = {},
): Promise<GeminiProject> {
  const load = await codeAssist(http, ep, 'loadCodeAssist', accessToken, {
    metadata: GEMINI_METADATA,
    ...(requested ? { cloudaicompanionProject: requested } : {}),
  });
  const tierId = defaultTier(load, 'legacy-tier');
  let projectId = requested ?? projectOf(load);
  if (!projectId) {
    // No project yet: onboarding without one lets Code Assist provision a managed project.
    projectId = await onboard(http, ep, accessToken, { tierId, metadata: GEMINI_METADATA }, opts);
    if (!projectId) {
      throw new AccountCallError(
        'Code Assist onboarding',
        undefined,
        'no project was returned; pass ?project_id=<your Google Cloud project>',
      );
    }
  }
  const answered = await onboard(
    http,
    ep,
    accessToken,
    { tierId, metadata: GEMINI_METADATA, cloudaicompanionProject: projectId },
    opts,
  );
  let finalId = projectId;
  if (answered && answered !== projectId) {
    const free =
      projectId.startsWith('gen-lang-client-') || ['free', 'legacy'].includes(tierId.toLowerCase());
    if (!requested || free) finalId = answered;
  }
  return { projectId: finalId, auto: !requested };
}

/** Every Google Cloud project the account can see (for `project_id=ALL`). */
export async function listGcpProjects(
  http: OAuthHttp,
  projectsUrl: string,
  accessToken: string,
): Promise<string[]> {
  const body = await callJson(http, 'Google Cloud project list', {
    method: 'GET',
    url: projectsUrl,
    headers: bearer(accessToken),
  });
  const list = Array.isArray(body.projects) ? body.projects : [];
  const ids = list
    .map((p) => (isObject(p) ? text(p.projectId) : undefined))
    .filter((id): id is string => !!id);
  return [...new Set(ids)];
}

/**
 * The Antigravity account's Code Assist project: loadCodeAssist's, else the one onboarding
 * provisions. Undefined when neither yields one (the login still succeeds; CLIProxyAPI agrees).
 */
export async function discoverAntigravityProject(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  accessToken: string,
  opts: OnboardOptions = {},
): Promise<string | undefined> {
  const load = await codeAssist(http, ep, 'loadCodeAssist', accessToken, {
    metadata: ANTIGRAVITY_METADATA,
  });
  const direct = projectOf(load);
  if (direct) return direct;
  const tierId = defaultTier(load, 'free-tier');
  return onboard(
    http,
    ep,
    accessToken,
    { tierId, metadata: ANTIGRAVITY_METADATA },
    { maxAttempts: 5, ...opts },
  );
}

/** An iFlow API key obtained with a web cookie. */
export interface IflowCookieKey {
  apiKey: string;
  /** The key's name on the platform (CLIProxyAPI stores it as the account email). */
  name: string;
  /** `YYYY-MM-DD HH:MM`. */
  expireTime?: string;
}

const BXAUTH = /(?:^|;\s*)BXAuth=([^;]+)/;

/** The `BXAuth` value of an iFlow web cookie, or undefined. */
export function extractBxAuth(cookie: string): string | undefined {
  return BXAUTH.exec(cookie.trim())?.[1]?.trim() || undefined;
}

/**
 * Turn an iFlow web cookie into a fresh API key: read the key's name, then ask the platform to
 * rotate it (the GET only returns a masked key).
 */
export async function iflowKeyFromCookie(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  cookie: string,
): Promise<IflowCookieKey> {
  if (!ep.apiKeyUrl) throw new AccountCallError('iFlow API key', undefined, 'no api-key-url');
  const headers = { cookie, accept: 'application/json, text/plain, */*' };
  const info = await callJson(http, 'iFlow API key lookup', {
    method: 'GET',
    url: ep.apiKeyUrl,
    headers,
  });
  const data = isObject(info.data) ? info.data : {};
  const name = text(data.name);
  if (info.success !== true || !name) {
    throw new AccountCallError('iFlow API key lookup', 200, text(info.message) ?? 'no key name');
  }
  const rotated = await callJson(http, 'iFlow API key refresh', {
    method: 'POST',
    url: ep.apiKeyUrl,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const key = isObject(rotated.data) ? rotated.data : {};
  const apiKey = text(key.apiKey);
  if (rotated.success !== true || !apiKey) {
    throw new AccountCallError(
      'iFlow API key refresh',
      200,
      text(rotated.message) ?? 'no API key in the answer',
    );
  }
  return { apiKey, name: text(key.name) ?? name, expireTime: text(key.expireTime) };
}
