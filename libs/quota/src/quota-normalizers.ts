import type { QuotaWindow } from '@app/quota/quota.types';

/** What a provider's quota answer says, before the snapshot envelope is added. */
export interface QuotaReading {
  models?: QuotaWindow[];
  windows?: QuotaWindow[];
  tier?: string;
  plan?: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** A number from a number or numeric string (Kimi sends counts as strings). */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Remaining share, 0–100, two decimals. */
function percent(value: number): number {
  return Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
}

/** An ISO time from an ISO string (any offset) or Unix seconds; undefined when unreadable. */
function isoTime(v: unknown): string | undefined {
  const n = num(v);
  if (n !== undefined && typeof v === 'number') {
    return n > 0 ? new Date(n > 1e12 ? n : n * 1000).toISOString() : undefined;
  }
  const s = str(v);
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function window(name: string, remaining: number, resetTime: string | undefined): QuotaWindow {
  const w: QuotaWindow = { name, percentage: percent(remaining) };
  if (resetTime) w.resetTime = resetTime;
  return w;
}

/**
 * Antigravity `v1internal:fetchAvailableModels`: `models` maps a model id to its info, whose
 * `quotaInfo` carries `remainingFraction` (0–1) and `resetTime`. An exhausted model's
 * `remainingFraction` is left out (protobuf drops zero values), so absent means 0.
 */
export function parseAntigravityModels(body: unknown): QuotaReading {
  const models: QuotaWindow[] = [];
  const map = isObject(body) && isObject(body.models) ? body.models : {};
  for (const [id, info] of Object.entries(map)) {
    if (!isObject(info) || !isObject(info.quotaInfo)) continue;
    const q = info.quotaInfo;
    models.push(window(id, (num(q.remainingFraction) ?? 0) * 100, isoTime(q.resetTime)));
  }
  models.sort((a, b) => a.name.localeCompare(b.name));
  return { models };
}

/**
 * Gemini CLI `v1internal:retrieveUserQuota` buckets (`modelId`, `tokenType`,
 * `remainingFraction`, `resetTime`) and the tier from `loadCodeAssist` (`paidTier` beats
 * `currentTier`).
 */
export function parseGeminiCliQuota(quota: unknown, loadCodeAssist?: unknown): QuotaReading {
  const buckets = isObject(quota) && Array.isArray(quota.buckets) ? quota.buckets : [];
  const seen = new Map<string, number>();
  for (const b of buckets) {
    const id = isObject(b) ? str(b.modelId) : undefined;
    if (id) seen.set(id, 1 + (seen.get(id) ?? 0));
  }
  const models: QuotaWindow[] = [];
  for (const b of buckets) {
    if (!isObject(b)) continue;
    const id = str(b.modelId);
    if (!id) continue;
    // One model can have a bucket per token type; name them apart only when it does.
    const type = str(b.tokenType);
    const name = (seen.get(id) ?? 0) > 1 && type ? `${id} (${type.toLowerCase()})` : id;
    models.push(window(name, (num(b.remainingFraction) ?? 0) * 100, isoTime(b.resetTime)));
  }
  const out: QuotaReading = { models };
  if (isObject(loadCodeAssist)) {
    const paid = isObject(loadCodeAssist.paidTier) ? loadCodeAssist.paidTier : undefined;
    const current = isObject(loadCodeAssist.currentTier) ? loadCodeAssist.currentTier : undefined;
    const tier = str(paid?.id) ?? str(current?.id);
    if (tier) out.tier = tier;
    const plan = str(paid?.name) ?? str(current?.name);
    if (plan) out.plan = plan;
  }
  return out;
}

/** Claude windows in the order people read them; others follow alphabetically. */
const CLAUDE_ORDER = ['five_hour', 'seven_day', 'seven_day_opus', 'seven_day_sonnet'];

/**
 * Claude `GET /api/oauth/usage`: every key holding `{utilization, resets_at}` is a window;
 * `utilization` is the used share (0–100). `extra_usage` (billing, not a window) and null
 * windows are skipped.
 */
export function parseClaudeUsage(body: unknown): QuotaReading {
  const windows: QuotaWindow[] = [];
  if (!isObject(body)) return { windows };
  for (const [name, v] of Object.entries(body)) {
    if (name === 'extra_usage' || !isObject(v)) continue;
    const used = num(v.utilization);
    if (used === undefined) continue;
    windows.push(window(name, 100 - used, isoTime(v.resets_at)));
  }
  const rank = (n: string) => {
    const i = CLAUDE_ORDER.indexOf(n);
    return i < 0 ? CLAUDE_ORDER.length : i;
  };
  windows.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  return { windows };
}

/** One Codex window: `used_percent`, and `reset_at` (Unix s) or `reset_after_seconds`. */
function codexWindow(name: string, w: unknown, now: number): QuotaWindow | undefined {
  if (!isObject(w)) return undefined;
  const used = num(w.used_percent);
  if (used === undefined) return undefined;
  const after = num(w.reset_after_seconds);
  const reset =
    isoTime(num(w.reset_at)) ??
    (after !== undefined ? new Date(now + after * 1000).toISOString() : undefined);
  return window(name, 100 - used, reset);
}

/** The windows of one Codex limit; `limit_reached` zeroes the fullest one if none shows it. */
function codexLimit(prefix: string, limit: unknown, now: number): QuotaWindow[] {
  if (!isObject(limit)) return [];
  const out: QuotaWindow[] = [];
  const primary = codexWindow(`${prefix}primary`, limit.primary_window, now);
  if (primary) out.push(primary);
  const secondary = codexWindow(`${prefix}secondary`, limit.secondary_window, now);
  if (secondary) out.push(secondary);
  if (limit.limit_reached === true && out.length > 0 && !out.some((w) => w.percentage <= 0)) {
    const fullest = out.reduce((a, b) => (b.percentage < a.percentage ? b : a));
    fullest.percentage = 0;
  }
  return out;
}

/**
 * Codex `GET /backend-api/wham/usage`: `rate_limit.primary_window` (5 h) and
 * `secondary_window` (weekly), plus the code-review limit; `plan_type` is the ChatGPT plan.
 */
export function parseCodexUsage(body: unknown, now: number): QuotaReading {
  if (!isObject(body)) return { windows: [] };
  const out: QuotaReading = {
    windows: [
      ...codexLimit('', body.rate_limit, now),
      ...codexLimit('code-review-', body.code_review_rate_limit, now),
    ],
  };
  const plan = str(body.plan_type);
  if (plan) out.plan = plan;
  return out;
}

const KIMI_UNITS: Readonly<Record<string, [number, string]>> = {
  TIME_UNIT_SECOND: [1, 's'],
  TIME_UNIT_MINUTE: [60, 'm'],
  TIME_UNIT_HOUR: [3600, 'h'],
  TIME_UNIT_DAY: [86400, 'd'],
};

/** `300` minutes → `5h`: the largest unit that divides the window evenly. */
function kimiWindowName(duration: number, unit: string | undefined): string {
  const seconds = duration * (KIMI_UNITS[unit ?? '']?.[0] ?? 60);
  for (const [size, suffix] of [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${suffix}`;
  }
  return `${seconds}s`;
}

/** Remaining share of a Kimi `{limit, used, remaining, resetTime}` detail (strings or numbers). */
function kimiDetail(name: string, d: unknown): QuotaWindow | undefined {
  if (!isObject(d)) return undefined;
  const limit = num(d.limit);
  if (!limit || limit <= 0) return undefined;
  const used = num(d.used);
  const remaining = num(d.remaining) ?? (used !== undefined ? limit - used : undefined);
  if (remaining === undefined) return undefined;
  return window(name, (remaining / limit) * 100, isoTime(d.resetTime));
}

/**
 * Kimi `GET /coding/v1/usages`: `usage` is the weekly allowance, `limits[]` the rolling
 * windows (`window: {duration, timeUnit}`, `detail`); `user.membershipLevel` is the plan.
 */
export function parseKimiUsage(body: unknown): QuotaReading {
  const windows: QuotaWindow[] = [];
  const out: QuotaReading = { windows };
  if (!isObject(body)) return out;
  const weekly = kimiDetail('weekly', body.usage);
  if (weekly) windows.push(weekly);
  if (Array.isArray(body.limits)) {
    for (const l of body.limits) {
      if (!isObject(l)) continue;
      const w = isObject(l.window) ? l.window : {};
      const duration = num(w.duration);
      const name = duration ? kimiWindowName(duration, str(w.timeUnit)) : 'limit';
      const parsed = kimiDetail(name, l.detail);
      if (parsed) windows.push(parsed);
    }
  }
  const user = isObject(body.user) ? body.user : undefined;
  const plan = str(user?.membershipLevel);
  if (plan) out.plan = plan;
  return out;
}

/**
 * GitHub Copilot `GET /copilot_internal/user`: paid plans report `quota_snapshots`
 * (`chat`, `completions`, `premium_interactions` with `percent_remaining`, `unlimited`) reset
 * on `quota_reset_date`; the free plan reports `limited_user_quotas` out of `monthly_quotas`.
 */
export function parseCopilotUser(body: unknown): QuotaReading {
  const windows: QuotaWindow[] = [];
  const out: QuotaReading = { windows };
  if (!isObject(body)) return out;
  const plan = str(body.copilot_plan);
  if (plan) out.plan = plan;
  const sku = str(body.access_type_sku);
  if (sku) out.tier = sku;
  const snapshots = isObject(body.quota_snapshots) ? body.quota_snapshots : undefined;
  if (snapshots) {
    const reset = isoTime(body.quota_reset_date_utc) ?? isoTime(body.quota_reset_date);
    for (const [name, q] of Object.entries(snapshots)) {
      if (!isObject(q)) continue;
      if (q.unlimited === true) {
        windows.push(window(name, 100, undefined));
        continue;
      }
      const pct = num(q.percent_remaining);
      if (pct !== undefined) windows.push(window(name, pct, reset));
    }
    return out;
  }
  const left = isObject(body.limited_user_quotas) ? body.limited_user_quotas : undefined;
  const total = isObject(body.monthly_quotas) ? body.monthly_quotas : undefined;
  if (left && total) {
    const reset = isoTime(body.limited_user_reset_date);
    for (const [name, t] of Object.entries(total)) {
      const max = num(t);
      const remaining = num(left[name]);
      if (max && max > 0 && remaining !== undefined) {
        windows.push(window(name, (remaining / max) * 100, reset));
      }
    }
  }
  return out;
}
