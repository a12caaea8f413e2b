import {
  ALL_MODELS,
  authIndexOf,
  decodeJwtClaims,
  parseExpiry,
  secretFingerprint,
  type Credential,
  type CredentialError,
  type ModelState,
} from '@app/routing';
import { maskKey } from '@app/common';

/** The Codex plan claims of an id_token, as CLIProxyAPI lists them. */
export interface CodexPlanFields {
  chatgpt_account_id?: string;
  plan_type?: string;
  chatgpt_subscription_active_start?: unknown;
  chatgpt_subscription_active_until?: unknown;
}

/** One model the credential is benched for right now. */
export interface CooldownView {
  /** `*` when the whole credential is benched. */
  model: string;
  /** ISO time it may be tried again. */
  until: string;
  /** `quota` when the quota is known to be spent, else `cooldown` after an error. */
  reason: 'quota' | 'cooldown';
  /** The upstream status and message that caused it, when known. */
  status?: number;
  message?: string;
}

/** One row of `GET /v0/management/auth-files` (CLIProxyAPI's fields plus `cooldowns`). */
export interface AuthFileEntry {
  id: string;
  auth_index: string;
  name: string;
  type: string;
  provider: string;
  label: string;
  status: 'active' | 'disabled' | 'error';
  status_message: string;
  disabled: boolean;
  unavailable: boolean;
  runtime_only: false;
  source: 'file';
  size: number;
  /** ISO time of the file's last change. */
  modtime: string;
  email?: string;
  account_type?: string;
  account?: string;
  project_id?: string;
  priority?: number;
  note?: string;
  prefix?: string;
  /** ISO time of the last token refresh, when the file records one. */
  last_refresh?: string;
  /** ISO time the credential can be tried again, while it is benched. */
  next_retry_after?: string;
  /** ISO access-token expiry. */
  expires_at?: string;
  /** Codex plan claims of the id_token. */
  id_token?: CodexPlanFields;
  cooldowns: CooldownView[];
  /**
   * The latest upstream error on any model, cooling or not (Switchboard): "last error 12 min
   * ago" is not "cooling now".
   */
  last_error?: { status: number; message: string; at: string };
}

/** What the listing knows about one file. */
export interface AuthFileFacts {
  name: string;
  size: number;
  mtimeMs: number;
  /** The parsed JSON (undefined when the file is not JSON). */
  data: unknown;
  /** The credential, when the file is a usable auth file. */
  credential?: Credential;
  /** Why it is not usable. */
  error?: string;
}

/** A credential's runtime state per model. */
export type StateEntries = readonly { model: string; state: ModelState }[];

type JsonObject = Record<string, unknown>;

const LAST_REFRESH_KEYS = ['last_refresh', 'lastRefresh', 'last_refreshed_at', 'lastRefreshedAt'];
const CODEX_AUTH_CLAIM = 'https://api.openai.com/auth';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(obj: JsonObject | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The last-refresh time a file records (any of CLIProxyAPI's spellings), as ISO. */
export function lastRefreshOf(data: unknown): string | undefined {
  if (!isObject(data)) return undefined;
  for (const key of LAST_REFRESH_KEYS) {
    const ms = parseExpiry(data[key]);
    if (ms !== undefined && !Number.isNaN(ms)) return iso(ms);
  }
  return undefined;
}

/** The Codex plan claims of a file's id_token (undefined for other providers or no claims). */
export function codexPlanOf(data: unknown): CodexPlanFields | undefined {
  if (!isObject(data) || str(data, 'type')?.toLowerCase() !== 'codex') return undefined;
  const claims = decodeJwtClaims(str(data, 'id_token'));
  const auth = claims && isObject(claims[CODEX_AUTH_CLAIM]) ? claims[CODEX_AUTH_CLAIM] : undefined;
  if (!auth) return undefined;
  const out: CodexPlanFields = {};
  const account = str(auth, 'chatgpt_account_id');
  const plan = str(auth, 'chatgpt_plan_type');
  if (account) out.chatgpt_account_id = account;
  if (plan) out.plan_type = plan;
  if (auth.chatgpt_subscription_active_start != null)
    out.chatgpt_subscription_active_start = auth.chatgpt_subscription_active_start;
  if (auth.chatgpt_subscription_active_until != null)
    out.chatgpt_subscription_active_until = auth.chatgpt_subscription_active_until;
  return Object.keys(out).length ? out : undefined;
}

/** Models the credential is benched for at `now`, the whole-credential entry first. */
export function activeCooldowns(states: StateEntries, now: number): CooldownView[] {
  const out: CooldownView[] = [];
  for (const { model, state } of states) {
    const until = Math.max(state.cooldownUntil, state.quotaExceededUntil);
    if (until <= now) continue;
    const view: CooldownView = {
      model,
      until: iso(until),
      reason: state.quotaExceededUntil > now ? 'quota' : 'cooldown',
    };
    if (state.lastError) {
      view.status = state.lastError.status;
      if (state.lastError.message) view.message = state.lastError.message;
    }
    out.push(view);
  }
  return out.sort((a, b) =>
    a.model === ALL_MODELS ? -1 : b.model === ALL_MODELS ? 1 : a.model.localeCompare(b.model),
  );
}

function accountOf(c: Credential): { account_type?: string; account?: string } {
  if (c.secret.serviceAccount) return { account_type: 'service_account', account: c.email };
  if (c.email) return { account_type: 'oauth', account: c.email };
  if (c.secret.apiKey) return { account_type: 'api_key', account: maskKey(c.secret.apiKey) };
  return { account_type: 'oauth' };
}

/**
 * The credential's error mark (refresh token rejected…), unless a new login has replaced the
 * token it was set for since (the mark carries the refused token's fingerprint).
 */
export function credentialErrorOf(
  c: Credential,
  states: StateEntries,
): CredentialError | undefined {
  const mark = states.find((s) => s.model === ALL_MODELS)?.state.error;
  if (!mark) return undefined;
  const token = c.secret.refreshToken;
  if (mark.fingerprint && token && mark.fingerprint !== secretFingerprint(token)) return undefined;
  return mark;
}

/**
 * One listing row: the file's facts, the credential parsed from it and its runtime state.
 * `status` is `disabled`, `error` (unusable file, refresh token refused until a new login, or
 * benched after an upstream error) or `active`; `unavailable` means the whole credential is out
 * of service (benched, marked error, or the file is unusable).
 */
export function authFileEntry(f: AuthFileFacts, states: StateEntries, now: number): AuthFileEntry {
  const data = isObject(f.data) ? f.data : undefined;
  const c = f.credential;
  const rawType = str(data, 'type')?.toLowerCase() ?? 'unknown';
  const provider = c?.provider ?? rawType;
  const cooldowns = c ? activeCooldowns(states, now) : [];
  const whole = cooldowns.find((v) => v.model === ALL_MODELS);
  const disabled = c?.disabled ?? data?.disabled === true;
  const marked = c ? credentialErrorOf(c, states) : undefined;

  let status: AuthFileEntry['status'] = 'active';
  let message = '';
  if (!c) {
    status = 'error';
    message = f.error ?? 'not a usable auth file';
  } else if (disabled) {
    status = 'disabled';
  } else if (marked) {
    status = 'error';
    message = marked.message;
  } else {
    const failed = cooldowns.find((v) => v.message !== undefined || v.status !== undefined);
    if (failed) {
      status = 'error';
      message = failed.message ?? `upstream answered ${failed.status}`;
    }
  }

  const entry: AuthFileEntry = {
    id: f.name,
    auth_index: c?.authIndex ?? authIndexOf(`file:${f.name}`),
    name: f.name,
    type: provider,
    provider,
    label: c?.label ?? str(data, 'email') ?? f.name,
    status,
    status_message: message,
    disabled,
    unavailable: !c || whole !== undefined || marked !== undefined,
    runtime_only: false,
    source: 'file',
    size: f.size,
    modtime: iso(f.mtimeMs),
    cooldowns,
  };
  const email = c?.email ?? str(data, 'email');
  if (email) entry.email = email;
  if (c) Object.assign(entry, accountOf(c));
  const project = c?.secret.projectId ?? str(data, 'project_id');
  if (project) entry.project_id = project;
  if (c && (data?.priority !== undefined || c.priority !== 0)) entry.priority = c.priority;
  const note = str(data, 'note');
  if (note) entry.note = note;
  if (c?.prefix) entry.prefix = c.prefix;
  const refreshed = lastRefreshOf(data);
  if (refreshed) entry.last_refresh = refreshed;
  const retry = whole ?? cooldowns[0];
  if (retry) entry.next_retry_after = retry.until;
  const expires = c?.secret.expiresAt;
  if (expires !== undefined && Number.isFinite(expires)) entry.expires_at = iso(expires);
  const plan = codexPlanOf(data);
  if (plan) entry.id_token = plan;
  let last: ModelState['lastError'];
  for (const { state } of c ? states : []) {
    if (state.lastError && (!last || state.lastError.at > last.at)) last = state.lastError;
  }
  if (last && last.at > 0) {
    entry.last_error = { status: last.status, message: last.message, at: iso(last.at) };
  }
  return entry;
}

/** Sort rows by name, case-insensitively (CLIProxyAPI's order). */
export function sortEntries<T extends { name: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
