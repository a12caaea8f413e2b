import { keyId, maskKey } from '@app/common';
import { DEFAULT_LIMITS_KEY, type AppConfig } from '@app/config';
import { parseModelSuffix } from '@app/llm';
import { compileModelPatterns, type ModelMatcher } from '@app/routing';

/** One client key's limits as enforced: 0 means "not limited". */
export interface KeyLimits {
  /** Short id of the client key (`keyId`), also the Redis key part. */
  readonly keyId: string;
  readonly rpm: number;
  readonly tpm: number;
  readonly tpd: number;
  readonly concurrency: number;
  /** Undefined when every model is allowed. */
  readonly allowsModel: ModelMatcher | undefined;
  /** True when admission needs Redis (any counter is limited). */
  readonly counted: boolean;
  /** True when finished requests must report their tokens (tpm or tpd set). */
  readonly countsTokens: boolean;
}

/** The limits of every configured client key, resolved once per config. */
export interface LimitsTable {
  /** Client key id → its limits; keys without any limit are absent. */
  readonly byKeyId: ReadonlyMap<string, KeyLimits>;
  /** `limits` entries that name no key in `api-keys` (masked), for a start-up warning. */
  readonly unmatched: readonly string[];
}

/** No limits anywhere: the proxy skips the whole check with one branch. */
export const EMPTY_LIMITS: LimitsTable = { byKeyId: new Map(), unmatched: [] };

const KEY_ID = /^[0-9a-f]{8}$/;

type LimitsEntry = AppConfig['limits'][string];

function resolve(id: string, e: LimitsEntry): KeyLimits | undefined {
  const rpm = e.rpm ?? 0;
  const tpm = e.tpm ?? 0;
  const tpd = e.tpd ?? 0;
  const concurrency = e.concurrency ?? 0;
  const allowsModel = e.models ? compileModelPatterns(e.models) : undefined;
  const counted = rpm > 0 || tpm > 0 || tpd > 0 || concurrency > 0;
  if (!counted && !allowsModel) return undefined;
  return {
    keyId: id,
    rpm,
    tpm,
    tpd,
    concurrency,
    allowsModel,
    counted,
    countsTokens: tpm > 0 || tpd > 0,
  };
}

/**
 * Resolve `limits` against `api-keys`. An entry is named by the client key itself or by its
 * key id (the 8 hex digits usage and logs show); `*` applies to every key without an entry of
 * its own. A key's own entry replaces the default entirely, so `{}` exempts a key. With open
 * access (no api-keys) there is no identity to limit, so the table is empty.
 */
export function buildLimitsTable(
  limits: AppConfig['limits'],
  apiKeys: readonly string[],
): LimitsTable {
  const names = Object.keys(limits);
  if (names.length === 0 || apiKeys.length === 0) return EMPTY_LIMITS;
  const idOfKey = new Map<string, string>();
  const ids = new Set<string>();
  for (const k of apiKeys) {
    const id = keyId(k);
    idOfKey.set(k, id);
    ids.add(id);
  }
  const own = new Map<string, LimitsEntry>();
  const unmatched: string[] = [];
  for (const name of names) {
    if (name === DEFAULT_LIMITS_KEY) continue;
    const id = idOfKey.get(name) ?? (KEY_ID.test(name) && ids.has(name) ? name : undefined);
    if (id === undefined) unmatched.push(maskKey(name));
    else own.set(id, limits[name]);
  }
  const fallback = limits[DEFAULT_LIMITS_KEY];
  const byKeyId = new Map<string, KeyLimits>();
  for (const id of ids) {
    const entry = own.get(id) ?? fallback;
    const resolved = entry && resolve(id, entry);
    if (resolved) byKeyId.set(id, resolved);
  }
  return { byKeyId, unmatched };
}

/**
 * True when the key may use `model`: the name as sent, or without a thinking suffix
 * (`claude-x(8192)` is `claude-x`). An empty model is left to the pipeline's own 400.
 */
export function modelAllowed(limits: KeyLimits, model: string): boolean {
  const allows = limits.allowsModel;
  if (!allows || model === '' || allows(model)) return true;
  const base = parseModelSuffix(model).model;
  return base !== model && allows(base);
}

/** The model a request names: the route's (Gemini) or the body's `model`; '' when neither. */
export function requestedModel(routeModel: string | undefined, body: unknown): string {
  if (routeModel !== undefined) return routeModel;
  if (typeof body !== 'object' || body === null) return '';
  const m = (body as { model?: unknown }).model;
  return typeof m === 'string' ? m : '';
}
