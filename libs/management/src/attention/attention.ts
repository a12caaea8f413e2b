// What needs an operator's attention, decided from a snapshot of the deployment's state (the
// panel's "needs attention" strip, `GET /v0/management/attention`). Pure: the gateway gathers
// the inputs, this decides what to say and where it is fixed.
import type { UnservedModel } from '@app/routing';
import type { FailureSpike } from '@app/usage';

/** Share of a quota window below which an account is worth a look. */
export const LOW_QUOTA_PERCENT = 15;
/** Keys expiring within this many days are listed. */
export const EXPIRY_NOTICE_DAYS = 7;

/** Where a problem is fixed: a panel page and its filter. */
export interface AttentionLink {
  page: 'credentials' | 'requests' | 'cluster' | 'settings';
  /** Filters the page applies (`status=cooling`, `q=<account>`, `provider=codex`). */
  query: Record<string, string>;
  label: string;
}

export type AttentionKind =
  | 'redis-down'
  | 'member-down'
  | 'credential-error'
  | 'credential-cooling'
  | 'quota-low'
  | 'model-unserved'
  | 'failure-spike'
  | 'key-expired'
  | 'key-expiring';

/** One thing to look at. */
export interface AttentionItem {
  /** Stable across refreshes (the panel keys its list by it). */
  id: string;
  kind: AttentionKind;
  /** `bad`: something is broken now; `warn`: degraded or about to be. */
  severity: 'bad' | 'warn';
  title: string;
  detail: string;
  link: AttentionLink;
  /** ISO time the problem started, when known. */
  since?: string;
  /** ISO time it ends by itself (a cooldown, a quota reset), when known. */
  until?: string;
  /** Models the item is about (model-unserved). */
  models?: string[];
}

/** A credential's runtime state as the attention list reads it. */
export interface CredentialStatus {
  authIndex: string;
  label: string;
  provider: string;
  /** The auth file, for file credentials. */
  fileName?: string;
  disabled: boolean;
  /** Out of service until someone acts. */
  error?: { message: string; at: number };
  /** Active cooldowns (`*` = the whole credential). */
  cooldowns: { model: string; until: number; status?: number; message?: string }[];
}

/** One account's quota windows. */
export interface QuotaStatus {
  authIndex: string;
  label: string;
  provider: string;
  windows: { name: string; percentage: number; resetTime?: string }[];
}

/** A cluster member as the attention list reads it. */
export interface MemberStatus {
  name: string;
  status: string;
  health: string;
}

/** A client key's expiry. */
export interface KeyExpiry {
  keyId: string;
  label: string;
  expiresAt: number;
}

/** Everything the decision reads; a source left undefined could not be read (Redis down). */
export interface AttentionInputs {
  now: number;
  redis: { up: boolean; downSince?: number };
  credentials: readonly CredentialStatus[];
  quotas?: readonly QuotaStatus[];
  unserved: readonly UnservedModel[];
  spike?: FailureSpike | null;
  members?: readonly MemberStatus[];
  keys: readonly KeyExpiry[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function accountQuery(c: { fileName?: string; label: string }): Record<string, string> {
  return { q: c.fileName ?? c.label };
}

/** The readable name of a quota window (`seven_day_opus` → `Weekly · Opus`). */
export function quotaWindowName(name: string): string {
  const known: Record<string, string> = {
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
  if (known[name]) return known[name];
  const span = /^(\d+)([mhd])$/.exec(name);
  if (span) return `${span[1]}-${{ m: 'minute', h: 'hour', d: 'day' }[span[2] as 'm' | 'h' | 'd']}`;
  return name;
}

/** The attention list, most urgent first. */
export function attentionItems(input: AttentionInputs): AttentionItem[] {
  const items: AttentionItem[] = [];
  const { now } = input;

  if (!input.redis.up) {
    items.push({
      id: 'redis-down',
      kind: 'redis-down',
      severity: 'bad',
      title: 'Redis is unreachable',
      detail:
        'Requests are still served from the last known config and credentials; usage and request-log entries are buffered in memory and written once Redis is back. Figures shown may be stale.',
      link: { page: 'cluster', query: {}, label: 'Open Cluster' },
      ...(input.redis.downSince ? { since: iso(input.redis.downSince) } : {}),
    });
  }

  for (const m of input.members ?? []) {
    const down = m.status === 'crashed';
    const sick = m.status === 'running' && m.health === 'unhealthy';
    if (!down && !sick) continue;
    items.push({
      id: `member:${m.name}`,
      kind: 'member-down',
      severity: down ? 'bad' : 'warn',
      title: down ? `${m.name} stopped sending heartbeats` : `${m.name} reports unhealthy`,
      detail: down
        ? 'The process is gone or cannot reach Redis; its supervisor should restart it.'
        : 'One of its health checks fails; the Cluster page shows which.',
      link: { page: 'cluster', query: { q: m.name }, label: 'Open Cluster' },
    });
  }

  const spike = input.spike;
  if (spike) {
    const pct = (r: number) => `${Math.round(r * 100)} %`;
    items.push({
      id: 'failure-spike',
      kind: 'failure-spike',
      severity: 'bad',
      title: `Failure rate spike: ${pct(spike.rate)} of requests failed in the last ${spike.minutes} minutes`,
      detail: `${spike.failures} of ${spike.requests} requests failed; the rest of the hour: ${spike.baselineRate === null ? 'no traffic' : pct(spike.baselineRate)}.`,
      link: { page: 'requests', query: { status: 'errors' }, label: 'See failed requests' },
    });
  }

  for (const c of input.credentials) {
    if (c.disabled) continue;
    if (c.error) {
      items.push({
        id: `credential-error:${c.authIndex}`,
        kind: 'credential-error',
        severity: 'bad',
        title: `${c.label} (${c.provider}) is out of service`,
        detail: `${c.error.message}. It stays out of routing until it is fixed (log in again or replace the key).`,
        link: { page: 'credentials', query: accountQuery(c), label: 'Open the account' },
        since: iso(c.error.at),
      });
      continue;
    }
    const active = c.cooldowns.filter((d) => d.until > now);
    if (active.length === 0) continue;
    const whole = active.find((d) => d.model === '*');
    const first = whole ?? active.reduce((a, b) => (b.until < a.until ? b : a));
    const cause = first.status ? `${first.status}${first.message ? `: ${first.message}` : ''}` : '';
    items.push({
      id: `credential-cooling:${c.authIndex}`,
      kind: 'credential-cooling',
      severity: 'warn',
      title: whole
        ? `${c.label} (${c.provider}) is cooling down`
        : `${c.label} (${c.provider}) is cooling down for ${active.length} model${active.length === 1 ? '' : 's'}`,
      detail: `${whole ? 'Routing skips it for every model' : `Routing skips it for ${active.map((d) => d.model).join(', ')}`}${cause ? ` after ${cause}` : ''}.`,
      link: {
        page: 'credentials',
        query: { status: 'cooling', ...accountQuery(c) },
        label: 'Open the account',
      },
      until: iso(first.until),
    });
  }

  for (const q of input.quotas ?? []) {
    const low = q.windows.filter((w) => w.percentage < LOW_QUOTA_PERCENT);
    if (low.length === 0) continue;
    const worst = low.reduce((a, b) => (b.percentage < a.percentage ? b : a));
    items.push({
      id: `quota-low:${q.authIndex}`,
      kind: 'quota-low',
      severity: worst.percentage <= 0 ? 'bad' : 'warn',
      title: `${q.label} (${q.provider}) has ${Math.max(0, Math.round(worst.percentage))} % left of its ${quotaWindowName(worst.name)} quota`,
      detail: low
        .map((w) => `${quotaWindowName(w.name)}: ${Math.max(0, Math.round(w.percentage))} % left`)
        .join('; '),
      link: { page: 'credentials', query: { q: q.label }, label: 'Open the account' },
      ...(worst.resetTime ? { until: worst.resetTime } : {}),
    });
  }

  // One item per cause and providers: a disabled Codex account leaves a dozen models unserved.
  const groups = new Map<string, UnservedModel[]>();
  for (const u of input.unserved) {
    const key = `${u.reason}:${u.providers.join(',')}`;
    const g = groups.get(key);
    if (g) g.push(u);
    else groups.set(key, [u]);
  }
  for (const [key, list] of groups) {
    const { reason, providers } = list[0];
    const names = list.map((u) => u.model);
    const shown =
      names.length > 4
        ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`
        : names.join(', ');
    const who = providers.length > 0 ? providers.join(', ') : 'their';
    const detail =
      reason === 'disabled'
        ? `Only disabled ${who} credentials serve ${names.length === 1 ? 'it' : 'them'}: requests get 503 until one is enabled.`
        : reason === 'error'
          ? `Every ${who} credential serving ${names.length === 1 ? 'it' : 'them'} is out of service: requests get 503.`
          : `Every ${who} credential serving ${names.length === 1 ? 'it' : 'them'} is cooling down: requests get 429 until one is back.`;
    const until = list.reduce<number | undefined>(
      (m, u) => (u.until !== undefined && (m === undefined || u.until < m) ? u.until : m),
      undefined,
    );
    items.push({
      id: `model-unserved:${key}`,
      kind: 'model-unserved',
      severity: reason === 'cooling' ? 'warn' : 'bad',
      title: `${names.length === 1 ? 'Model' : `${names.length} models`} with no usable credential: ${shown}`,
      detail,
      link: {
        page: 'credentials',
        query: providers.length === 1 ? { provider: providers[0] } : {},
        label: 'Open Credentials',
      },
      models: names,
      ...(until !== undefined ? { until: iso(until) } : {}),
    });
  }

  for (const k of input.keys) {
    const name = k.label ? `Client key "${k.label}"` : `Client key ${k.keyId}`;
    if (k.expiresAt <= now) {
      items.push({
        id: `key-expired:${k.keyId}`,
        kind: 'key-expired',
        severity: 'warn',
        title: `${name} has expired`,
        detail: 'Requests with it are refused with 401; extend it or remove it.',
        link: { page: 'settings', query: { key: k.keyId }, label: 'Open client keys' },
        since: iso(k.expiresAt),
      });
    } else if (k.expiresAt - now <= EXPIRY_NOTICE_DAYS * 86_400_000) {
      items.push({
        id: `key-expiring:${k.keyId}`,
        kind: 'key-expiring',
        severity: 'warn',
        title: `${name} expires soon`,
        detail: 'From then on requests with it are refused with 401.',
        link: { page: 'settings', query: { key: k.keyId }, label: 'Open client keys' },
        until: iso(k.expiresAt),
      });
    }
  }

  const rank = (i: AttentionItem) => (i.severity === 'bad' ? 0 : 1);
  return items
    .map((item, order) => ({ item, order }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.order - b.order)
    .map((x) => x.item);
}
