// Edits of the per-channel maps for OAuth credentials: oauth-excluded-models (channel → model
// names) and oauth-model-alias (channel → [{name, alias, fork}]). Channel names are stored
// trimmed and lower-cased, as CLIProxyAPI normalizes them.
import {
  badRequest,
  isEntry,
  mapOf,
  notFound,
  ok,
  queryParam,
  type EditResult,
  type Entry,
  type Query,
} from '@app/management/config-routes/list-edit';

/** One `oauth-model-alias` item. */
export interface ModelAlias {
  name: string;
  alias: string;
  fork?: true;
}

function channelOf(raw: unknown): string {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : '';
}

/**
 * The map of a PUT body: the map itself, or `{"items": {…}}`. A map whose only key is `items`
 * holding an object is read as the wrapper (no channel is called "items").
 */
export function readMapBody(body: unknown, shape: string): EditResult<Entry> {
  if (!isEntry(body)) return badRequest(`invalid body: expected ${shape} or {"items": ${shape}}`);
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'items' && isEntry(body.items)) return ok(body.items);
  return ok(body);
}

// ---- oauth-excluded-models --------------------------------------------------------------------

const EXCLUDED_SHAPE = '{"<channel>": ["<model>", …]}';

/** Model names trimmed, blanks and repeats (any case) dropped; 400 for a non-string. */
function readModels(v: unknown, where: string): EditResult<string[]> {
  if (!Array.isArray(v)) return badRequest(`${where} must be a list of model names`);
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const m: unknown = v[i];
    if (typeof m !== 'string') return badRequest(`${where}[${i}] must be a string`);
    const name = m.trim();
    const key = name.toLowerCase();
    if (!name || seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return ok(out);
}

/**
 * An oauth-excluded-models map normalized: channels lower-cased, empty lists dropped. `lenient`
 * (for what is already in the file) skips malformed entries instead of refusing them.
 */
export function normalizeExcludedModels(
  raw: Entry,
  lenient = false,
): EditResult<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    const channel = channelOf(key);
    if (!channel) continue;
    const models = readModels(value, `oauth-excluded-models.${key}`);
    if (!models.ok) {
      if (lenient) continue;
      return models;
    }
    if (models.value.length === 0) continue;
    const merged = out[channel] ? [...out[channel], ...models.value] : models.value;
    out[channel] = [...new Map(merged.map((m) => [m.toLowerCase(), m])).values()];
  }
  return ok(out);
}

/** PUT body of oauth-excluded-models. */
export function readExcludedModels(body: unknown): EditResult<Record<string, string[]>> {
  const map = readMapBody(body, EXCLUDED_SHAPE);
  return map.ok ? normalizeExcludedModels(map.value) : map;
}

/** PATCH `{"provider": "…", "models": [...]}`: set that channel's list; an empty list removes it. */
export function patchExcludedModels(
  current: unknown,
  body: unknown,
): EditResult<Record<string, string[]>> {
  if (!isEntry(body) || typeof body.provider !== 'string') {
    return badRequest('invalid body: expected {"provider": "…", "models": ["…"]}');
  }
  const channel = channelOf(body.provider);
  if (!channel) return badRequest('invalid provider');
  const models = readModels(body.models ?? [], 'models');
  if (!models.ok) return models;
  const map = normalizeExcludedModels(mapOf(current), true);
  if (!map.ok) return map;
  const next = { ...map.value };
  if (models.value.length === 0) {
    if (!(channel in next)) return notFound('provider not found');
    delete next[channel];
  } else {
    next[channel] = models.value;
  }
  return ok(next);
}

/** DELETE `?provider=…`. */
export function deleteExcludedModels(
  current: unknown,
  query: Query,
): EditResult<Record<string, string[]>> {
  const channel = channelOf(queryParam(query, 'provider'));
  if (!channel) return badRequest('missing provider');
  const map = normalizeExcludedModels(mapOf(current), true);
  if (!map.ok) return map;
  if (!(channel in map.value)) return notFound('provider not found');
  const next = { ...map.value };
  delete next[channel];
  return ok(next);
}

// ---- oauth-model-alias ------------------------------------------------------------------------

const ALIAS_SHAPE = '{"<channel>": [{"name": "…", "alias": "…"}, …]}';

/**
 * Alias items trimmed; items without a name or an alias are dropped, and a repeated alias (any
 * case) keeps its first mapping, since one alias cannot name two models.
 */
function readAliases(v: unknown, where: string, lenient: boolean): EditResult<ModelAlias[]> {
  if (!Array.isArray(v)) return badRequest(`${where} must be a list of {"name", "alias"} objects`);
  const seen = new Set<string>();
  const out: ModelAlias[] = [];
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const name: unknown = isEntry(item) ? item.name : undefined;
    const alias: unknown = isEntry(item) ? item.alias : undefined;
    const fork: unknown = isEntry(item) ? item.fork : undefined;
    const bad =
      !isEntry(item) ||
      (name !== undefined && typeof name !== 'string') ||
      (alias !== undefined && typeof alias !== 'string') ||
      (fork !== undefined && typeof fork !== 'boolean');
    if (bad) {
      if (lenient) continue;
      return badRequest(
        `${where}[${i}] must be {"name": "…", "alias": "…"} with an optional boolean "fork"`,
      );
    }
    const n = typeof name === 'string' ? name.trim() : '';
    const a = typeof alias === 'string' ? alias.trim() : '';
    if (!n || !a || seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    out.push(fork === true ? { name: n, alias: a, fork: true } : { name: n, alias: a });
  }
  return ok(out);
}

/** An oauth-model-alias map normalized (channels lower-cased, empty lists dropped). */
export function normalizeModelAliases(
  raw: Entry,
  lenient = false,
): EditResult<Record<string, ModelAlias[]>> {
  const out: Record<string, ModelAlias[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    const channel = channelOf(key);
    if (!channel) continue;
    const aliases = readAliases(value, `oauth-model-alias.${key}`, lenient);
    if (!aliases.ok) {
      if (lenient) continue;
      return aliases;
    }
    if (aliases.value.length > 0) out[channel] = [...(out[channel] ?? []), ...aliases.value];
  }
  return ok(out);
}

/** PUT body of oauth-model-alias. */
export function readModelAliases(body: unknown): EditResult<Record<string, ModelAlias[]>> {
  const map = readMapBody(body, ALIAS_SHAPE);
  return map.ok ? normalizeModelAliases(map.value) : map;
}

/**
 * PATCH `{"channel": "…", "aliases": [...]}` (`provider` is accepted for `channel`): set that
 * channel's aliases; an empty list removes the channel.
 */
export function patchModelAliases(
  current: unknown,
  body: unknown,
): EditResult<Record<string, ModelAlias[]>> {
  if (!isEntry(body)) {
    return badRequest('invalid body: expected {"channel": "…", "aliases": [{"name", "alias"}]}');
  }
  const channel = channelOf(body.channel ?? body.provider);
  if (!channel) return badRequest('invalid channel');
  const aliases = readAliases(body.aliases ?? [], 'aliases', false);
  if (!aliases.ok) return aliases;
  const map = normalizeModelAliases(mapOf(current), true);
  if (!map.ok) return map;
  const next = { ...map.value };
  if (aliases.value.length === 0) {
    if (!(channel in next)) return notFound('channel not found');
    delete next[channel];
  } else {
    next[channel] = aliases.value;
  }
  return ok(next);
}

/** DELETE `?channel=…` (or `?provider=…`). */
export function deleteModelAliases(
  current: unknown,
  query: Query,
): EditResult<Record<string, ModelAlias[]>> {
  const channel = channelOf(queryParam(query, 'channel') || queryParam(query, 'provider'));
  if (!channel) return badRequest('missing channel');
  const map = normalizeModelAliases(mapOf(current), true);
  if (!map.ok) return map;
  if (!(channel in map.value)) return notFound('channel not found');
  const next = { ...map.value };
  delete next[channel];
  return ok(next);
}
