import { cleanLabel, entryOf, normaliseTokens, type UsageEntry } from '@app/usage/usage-entry';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';
import { parseInstant } from '@app/usage/usage-time';

/** The outcome of reading an import body. */
export type ImportParseResult =
  { ok: true; version: 0 | 1; entries: UsageEntry[] } | { ok: false; error: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function latency(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
}

class ImportError extends Error {}

/** Where a detail sits in the payload, for error messages. */
function at(api: string, model: string, i: number): string {
  return `usage.apis[${JSON.stringify(api)}].models[${JSON.stringify(model)}].details[${i}]`;
}

function parseDetail(raw: unknown, api: string, model: string, i: number): UsageEntry {
  if (!isObj(raw)) throw new ImportError(`${at(api, model, i)}: expected an object`);
  const ts = raw.timestamp;
  const instant = typeof ts === 'string' ? parseInstant(ts) : undefined;
  if (!instant) {
    throw new ImportError(
      `${at(api, model, i)}.timestamp: expected an RFC 3339 time such as 2025-01-02T15:04:05.123456789Z, got ${JSON.stringify(ts ?? null)}`,
    );
  }
  const tokens = raw.tokens;
  if (tokens !== undefined && tokens !== null && !isObj(tokens)) {
    throw new ImportError(`${at(api, model, i)}.tokens: expected an object`);
  }
  const requestId = str(raw.request_id).trim();
  const detail: UsageDetail = {
    timestamp: instant.iso,
    latency_ms: latency(raw.latency_ms),
    source: str(raw.source),
    auth_index: str(raw.auth_index),
    ...(requestId ? { request_id: requestId } : {}),
    tokens: normaliseTokens(isObj(tokens) ? tokens : undefined),
    failed: raw.failed === true,
  };
  return entryOf(api, model, instant, detail);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ImportError(`invalid json: ${(err as Error).message}`);
  }
}

/** The snapshot object of a v0 or v1 payload. */
function snapshotOf(body: Obj, version: 0 | 1): Obj {
  if ('usage' in body) {
    if (!isObj(body.usage))
      throw new ImportError('usage: expected an object (an exported snapshot)');
    return body.usage;
  }
  // Version 0 also covers a bare snapshot (CLIProxyAPI's StatisticsSnapshot without a wrapper).
  if (version === 0 && 'apis' in body) return body;
  throw new ImportError('usage is required: send the body of GET /v0/management/usage/export');
}

/**
 * Read an import body. Version 1 is `{"version":1,"exported_at","usage"}`; version 0 (CLIProxyAPI
 * before versioned exports, or the body of `GET /usage`) has no version, or `0`, and the same
 * `usage` snapshot. Only the details are imported; the aggregates are rebuilt from them.
 */
export function parseImportPayload(input: unknown): ImportParseResult {
  try {
    // A body sent without a JSON content type arrives as text (CLIProxyAPI parses it regardless).
    const body = typeof input === 'string' ? parseJsonText(input) : input;
    if (!isObj(body))
      throw new ImportError('expected a JSON object (the body of GET /v0/management/usage/export)');
    const v = body.version;
    if (v !== undefined && v !== null && v !== 0 && v !== 1) {
      throw new ImportError(`unsupported version ${JSON.stringify(v)}: expected 0 or 1`);
    }
    const version = v === 1 ? 1 : 0;
    const snapshot = snapshotOf(body, version);
    const apis = snapshot.apis;
    if (apis === undefined || apis === null) return { ok: true, version, entries: [] };
    if (!isObj(apis)) throw new ImportError('usage.apis: expected an object keyed by API');
    const entries: UsageEntry[] = [];
    for (const [rawApi, apiSnap] of Object.entries(apis)) {
      if (!rawApi.trim()) continue; // CLIProxyAPI skips unnamed APIs
      if (!isObj(apiSnap))
        throw new ImportError(`usage.apis[${JSON.stringify(rawApi)}]: expected an object`);
      const models = apiSnap.models;
      if (models === undefined || models === null) continue;
      if (!isObj(models)) {
        throw new ImportError(
          `usage.apis[${JSON.stringify(rawApi)}].models: expected an object keyed by model`,
        );
      }
      const api = cleanLabel(rawApi);
      for (const [rawModel, modelSnap] of Object.entries(models)) {
        if (!isObj(modelSnap)) {
          throw new ImportError(
            `usage.apis[${JSON.stringify(rawApi)}].models[${JSON.stringify(rawModel)}]: expected an object`,
          );
        }
        const details = modelSnap.details;
        if (details === undefined || details === null) continue;
        if (!Array.isArray(details)) {
          throw new ImportError(
            `usage.apis[${JSON.stringify(rawApi)}].models[${JSON.stringify(rawModel)}].details: expected an array`,
          );
        }
        const model = cleanLabel(rawModel);
        for (let i = 0; i < details.length; i++)
          entries.push(parseDetail(details[i], api, model, i));
      }
    }
    return { ok: true, version, entries };
  } catch (err) {
    if (err instanceof ImportError) return { ok: false, error: err.message };
    throw err;
  }
}
