import type { AuthFile, QuotaSnapshot, QuotaWindow } from './types';

/** What the Credentials page says about an account, in one word. */
export type CredentialState = 'active' | 'disabled' | 'cooling' | 'error' | 'unavailable';

/** One row of the Credentials table. */
export interface CredentialRow {
  name: string;
  provider: string;
  label: string;
  state: CredentialState;
  /** Why it is not active (the server's status message). */
  detail: string;
  /** ISO time routing may use it again, when cooling down. */
  coolingUntil?: string;
  /** Models cooling down on their own: model → ISO time. */
  modelCooldowns: { model: string; until: string }[];
  lastRefresh?: string;
  plan?: string;
  disabled: boolean;
  /** Only files on disk can be deleted or downloaded (config entries are edited in config.yaml). */
  isFile: boolean;
  /** Where its quota lives in the control API, when the provider reports one. */
  quota?: { provider: string; accountId: string };
  authIndex: string;
  email: string;
  /** Attempts that succeeded and failed (all time, every replica). */
  success: number;
  failed: number;
  lastUsed?: string;
  /** The latest upstream error, whether or not it is still cooling. */
  lastError?: { status: number; message: string; at: string };
}

function future(iso: string | undefined, now: number): iso is string {
  if (!iso) return false;
  const t = Date.parse(iso);
  return Number.isFinite(t) && t > now;
}

/**
 * The table row of an auth-files entry, with its state decided at `now`. `quotaRoutes` (provider
 * or auth-file type → quota route, lib/providers.ts) says where its quota lives.
 */
export function credentialRow(
  f: AuthFile,
  now = Date.now(),
  quotaRoutes: Readonly<Record<string, string>> = {},
): CredentialRow {
  const provider = f.provider || f.type || 'unknown';
  const modelCooldowns: { model: string; until: string }[] = [];
  let whole: { until: string; message?: string } | undefined;
  for (const c of f.cooldowns ?? []) {
    if (!future(c.until, now)) continue;
    if (c.model === '*') whole = c;
    else modelCooldowns.push({ model: c.model, until: c.until });
  }
  modelCooldowns.sort((a, b) => a.until.localeCompare(b.until));
  const coolingUntil =
    whole?.until ?? (future(f.next_retry_after, now) ? f.next_retry_after : undefined);
  const status = (f.status ?? '').toLowerCase();
  // "Cooling now" is its own state: the server calls a credential benched after an upstream
  // error `error`, but it comes back by itself; `error` is kept for what needs a person (a
  // revoked token, an unusable file: out of service with no cooldown to wait for).
  const cooling = coolingUntil !== undefined || modelCooldowns.length > 0;
  let state: CredentialState = 'active';
  if (f.disabled || status === 'disabled') state = 'disabled';
  else if (status === 'error' && f.unavailable && !whole) state = 'error';
  else if (cooling) state = 'cooling';
  else if (status === 'error') state = 'error';
  else if (f.unavailable) state = 'unavailable';
  const row: CredentialRow = {
    name: f.name,
    provider,
    label: f.label || f.email || f.name,
    state,
    detail: state === 'active' ? '' : f.status_message || whole?.message || '',
    modelCooldowns,
    disabled: state === 'disabled',
    isFile: f.source === undefined || f.source === 'file',
    authIndex: f.auth_index ?? '',
    email: f.email ?? '',
    success: f.success ?? 0,
    failed: f.failed ?? 0,
  };
  if (f.last_used) row.lastUsed = f.last_used;
  if (f.last_error) row.lastError = f.last_error;
  if (state === 'cooling' && coolingUntil) row.coolingUntil = coolingUntil;
  if (f.last_refresh) row.lastRefresh = f.last_refresh;
  // account_type is the kind of login (oauth, api_key), not a plan
  const plan = f.id_token?.plan_type;
  if (plan) row.plan = plan;
  const quotaProvider = quotaRoutes[provider];
  if (quotaProvider && row.isFile) {
    // snapshots are per credential: its auth_index names it even when accounts share an email
    row.quota = { provider: quotaProvider, accountId: f.auth_index || f.name };
  }
  return row;
}

/** A quota bar: remaining share 0–100 and when it refills. */
export interface QuotaBar {
  name: string;
  remaining: number;
  resetTime?: string;
  /** Visual severity for the bar colour (also spelled out in text). */
  level: 'ok' | 'low' | 'empty';
}

/** The bars of a snapshot: time windows first, then per-model quotas. */
export function quotaBars(s: QuotaSnapshot): QuotaBar[] {
  const windows: QuotaWindow[] = [...(s.windows ?? []), ...(s.models ?? [])];
  return windows.map((w) => {
    const remaining = Math.max(0, Math.min(100, Number(w.percentage) || 0));
    const bar: QuotaBar = {
      name: quotaWindowName(w.name),
      remaining,
      level: remaining <= 0 ? 'empty' : remaining < 20 ? 'low' : 'ok',
    };
    if (w.resetTime) bar.resetTime = w.resetTime;
    return bar;
  });
}

const WINDOW_NAMES: Readonly<Record<string, string>> = {
  five_hour: '5-hour',
  seven_day: 'Weekly',
  seven_day_opus: 'Weekly · Opus',
  seven_day_sonnet: 'Weekly · Sonnet',
  seven_day_oauth_apps: 'Weekly · OAuth apps',
  primary: '5-hour',
  secondary: 'Weekly',
  'code-review-primary': 'Code review · 5-hour',
  'code-review-secondary': 'Code review · weekly',
  weekly: 'Weekly',
  premium_interactions: 'Premium requests',
  chat: 'Chat',
  completions: 'Completions',
};

/** A quota window as people read it: `seven_day_opus` → `Weekly · Opus`, `5h` → `5-hour`. */
export function quotaWindowName(name: string): string {
  const known = WINDOW_NAMES[name];
  if (known) return known;
  const span = /^(\d+)([mhd])$/.exec(name);
  if (span) return `${span[1]}-${{ m: 'minute', h: 'hour', d: 'day' }[span[2] as 'm' | 'h' | 'd']}`;
  return name;
}

/** The Credentials page filter. */
export interface CredentialFilter {
  /** Free text: name, label, email or auth index. */
  q: string;
  provider: string;
  /** A state, or `''` for all. */
  status: string;
}

/** The rows a filter keeps. */
export function filterRows(rows: readonly CredentialRow[], f: CredentialFilter): CredentialRow[] {
  const q = f.q.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!f.provider || r.provider === f.provider) &&
      (!f.status || r.state === f.status) &&
      (!q || [r.name, r.label, r.email, r.authIndex].some((v) => v.toLowerCase().includes(q))),
  );
}
