import { SEP, type UsageEntry } from '@app/usage/usage-entry';

/**
 * Most members one ZADD takes: Redis's Lua `unpack` fails past about 8,000 values, and each
 * member is two (score, member).
 */
export const MAX_ZADD_MEMBERS = 1000;

/** The counters one (day, hour, api, model) cell of a batch adds. */
interface CellSum {
  day: string;
  hour: string;
  api: string;
  model: string;
  /** `<HH>␟<api>␟<model>␟`: the cell's fields are this plus r, f or t. */
  prefix: string;
  requests: number;
  tokens: number;
  /** The cell's hash (`cell:<day>`) and where its `r`, `t` and `f` fields sit in it. */
  hash: HashIncrements;
  r: number;
  t: number;
  /** -1 until the cell's first failure, which is when per-entry writes create `f`. */
  f: number;
}

/** Requests and tokens summed under one key (an api, a pair, a day, a day-hour). */
interface Sum {
  requests: number;
  tokens: number;
}

/** The increments of one Redis hash (key suffix under `<prefix>usage:`), in field order. */
export interface HashIncrements {
  key: string;
  fields: string[];
  amounts: number[];
}

/** The details of one (api, model) sorted set: scores and members side by side. */
export interface DetailGroup {
  pair: string;
  /** `score, member, score, member, …`: what ZADD takes. */
  scored: (number | string)[];
}

/** A live batch summed per hash field: what one script call writes. */
export interface LiveBatch {
  entries: number;
  hashes: HashIncrements[];
  details: DetailGroup[];
}

function addTo(map: Map<string, Sum>, key: string, requests: number, tokens: number): void {
  const s = map.get(key);
  if (s) {
    s.requests += requests;
    s.tokens += tokens;
  } else {
    map.set(key, { requests, tokens });
  }
}

/** Append a field (amount 0) to a hash's increments; returns its index. */
function newField(hash: HashIncrements, field: string): number {
  hash.amounts.push(0);
  return hash.fields.push(field) - 1;
}

/** `<key>␟r` and `<key>␟t` of every sum, in first-seen order. */
function requestsAndTokens(key: string, sums: Map<string, Sum>): HashIncrements {
  const fields: string[] = [];
  const amounts: number[] = [];
  for (const [k, s] of sums) {
    fields.push(k + SEP + 'r', k + SEP + 't');
    amounts.push(s.requests, s.tokens);
  }
  return { key, fields, amounts };
}

/**
 * Sum a live batch per hash field. Adding the sums gives exactly the counters that adding each
 * entry would, and new fields are listed in the order per-entry writes would create them (small
 * Redis hashes keep insertion order, and snapshots list apis and models in that order).
 */
export function sumLiveBatch(entries: readonly UsageEntry[]): LiveBatch {
  // Step 1: one pass over the entries, into cells (first-seen order) and detail groups. Cell
  // fields are listed as per-entry writes create them: `r` (`f`) `t` at a cell's first entry,
  // `f` at its first failure when that comes later.
  const cells = new Map<string, CellSum>();
  const cellHashes = new Map<string, HashIncrements>();
  const byPair = new Map<string, (number | string)[]>();
  let requests = 0;
  let failures = 0;
  let tokens = 0;
  for (const e of entries) {
    const id = e.day + e.hour + e.pair;
    let c = cells.get(id);
    if (!c) {
      let hash = cellHashes.get(e.day);
      if (!hash) {
        hash = { key: 'cell:' + e.day, fields: [], amounts: [] };
        cellHashes.set(e.day, hash);
      }
      const prefix = e.hour + SEP + e.api + SEP + e.model + SEP;
      const r = newField(hash, prefix + 'r');
      const f = e.failed ? newField(hash, prefix + 'f') : -1;
      const t = newField(hash, prefix + 't');
      c = {
        day: e.day,
        hour: e.hour,
        api: e.api,
        model: e.model,
        prefix,
        requests: 0,
        tokens: 0,
        hash,
        r,
        t,
        f,
      };
      cells.set(id, c);
    }
    c.requests++;
    c.tokens += e.totalTokens;
    requests++;
    tokens += e.totalTokens;
    if (e.failed) {
      if (c.f < 0) c.f = newField(c.hash, c.prefix + 'f');
      c.hash.amounts[c.f]++;
      failures++;
    }
    let scored = byPair.get(e.pair);
    if (!scored) {
      scored = [];
      byPair.set(e.pair, scored);
    }
    scored.push(e.score, e.member);
  }

  // Step 2: roll the cells up. A key's first cell is created by its first entry, so walking the
  // cells in order meets apis, pairs, days and hours in the entries' first-seen order.
  const apis = new Map<string, Sum>();
  const models = new Map<string, Sum>();
  const days = new Map<string, Sum>();
  const hours = new Map<string, Sum>();
  for (const c of cells.values()) {
    addTo(apis, c.api, c.requests, c.tokens);
    addTo(models, c.api + SEP + c.model, c.requests, c.tokens);
    addTo(days, c.day, c.requests, c.tokens);
    addTo(hours, c.day + 'T' + c.hour, c.requests, c.tokens);
    c.hash.amounts[c.r] = c.requests;
    c.hash.amounts[c.t] = c.tokens;
  }

  // Step 3: totals in per-entry creation order: requests, the first entry's outcome, tokens,
  // then the other outcome if the batch has both.
  const successes = requests - failures;
  const totals: HashIncrements = { key: 'totals', fields: ['requests'], amounts: [requests] };
  if (requests > 0) {
    const firstFailed = entries[0].failed;
    totals.fields.push(firstFailed ? 'failure' : 'success', 'tokens');
    totals.amounts.push(firstFailed ? failures : successes, tokens);
    if (firstFailed && successes > 0) {
      totals.fields.push('success');
      totals.amounts.push(successes);
    } else if (!firstFailed && failures > 0) {
      totals.fields.push('failure');
      totals.amounts.push(failures);
    }
  }

  const details: DetailGroup[] = [];
  for (const [pair, scored] of byPair) {
    const step = MAX_ZADD_MEMBERS * 2;
    if (scored.length <= step) {
      details.push({ pair, scored });
      continue;
    }
    for (let i = 0; i < scored.length; i += step) {
      details.push({ pair, scored: scored.slice(i, i + step) });
    }
  }

  return {
    entries: entries.length,
    hashes: [
      ...(requests > 0 ? [totals] : []),
      requestsAndTokens('api', apis),
      requestsAndTokens('model', models),
      requestsAndTokens('day', days),
      requestsAndTokens('hour', hours),
      ...cellHashes.values(),
    ].filter((h) => h.fields.length > 0),
    details,
  };
}
