/**
 * Keys that moved under a hash tag so that multi-key operations stay within one slot of a Redis
 * Cluster (docs/redis.md). An older deployment's keys are merged into their new names once, by
 * whichever process starts first (`KeyLayoutMigration`).
 */

/** How a key's content joins a key of the same name written meanwhile. */
export type MergeMode =
  /** Hash fields that are integers in both are added (counters); others keep the new value. */
  | 'sum'
  /** Hash fields keep the larger integer (replay guards: last batch number per process). */
  | 'max'
  /** Sets and sorted sets are united, lists appended; for anything else the new key wins. */
  | 'keep';

/** Where one old key goes. */
export interface KeyMove {
  /** New name, without the key prefix. */
  to: string;
  mode: MergeMode;
}

const RULES: readonly { from: RegExp; to: string; mode: (m: RegExpExecArray) => MergeMode }[] = [
  // Usage statistics and per-credential counters: one script updates them all.
  { from: /^usage:(.+)$/, to: '{usage}:$1', mode: (m) => (m[1] === 'applied' ? 'max' : 'sum') },
  {
    from: /^credact:(.+)$/,
    to: '{credact}:$1',
    mode: (m) => (m[1] === 'applied' ? 'max' : 'sum'),
  },
  // Error logs and full request logs: a list/index and one key per log.
  { from: /^logs:errors$/, to: 'logs:{errors}', mode: () => 'keep' },
  { from: /^logs:error:(.+)$/, to: 'logs:{errors}:$1', mode: () => 'keep' },
  { from: /^logs:details$/, to: 'logs:{details}', mode: () => 'keep' },
  { from: /^logs:detail:(.+)$/, to: 'logs:{details}:$1', mode: () => 'keep' },
  // Cluster membership, quota snapshots, login sessions, relay registrations.
  { from: /^cluster:(.+)$/, to: '{cluster}:$1', mode: () => 'keep' },
  { from: /^quota:(.+)$/, to: '{quota}:$1', mode: () => 'keep' },
  { from: /^oauth:login-devices$/, to: 'oauth:{login}:devices', mode: () => 'keep' },
  { from: /^oauth:login-poll:(.+)$/, to: 'oauth:{login}:poll:$1', mode: () => 'keep' },
  { from: /^oauth:login:(.+)$/, to: 'oauth:{login}:$1', mode: () => 'keep' },
  { from: /^ws-relay:conns$/, to: 'ws-relay:{conns}', mode: () => 'keep' },
  { from: /^ws-relay:conn:(.+)$/, to: 'ws-relay:{conns}:$1', mode: () => 'keep' },
  // Per-key limits: token windows are counters, the rest sorted sets.
  {
    from: /^limits:([^:{}]+):(leases|req|tpm|tpd)$/,
    to: 'limits:{$1}:$2',
    mode: (m) => (m[2] === 'tpm' || m[2] === 'tpd' ? 'sum' : 'keep'),
  },
];

/** The new name of a key of the old layout (`rest` is the key without its prefix), if it moved. */
export function movedKey(rest: string): KeyMove | undefined {
  for (const rule of RULES) {
    const m = rule.from.exec(rest);
    if (m) return { to: rest.replace(rule.from, rule.to), mode: rule.mode(m) };
  }
  return undefined;
}

/**
 * Moves KEYS[1] to KEYS[2] atomically (ARGV[1] the merge mode): a rename when the new key does
 * not exist yet, else a merge, then the old key is deleted. Returns 0 when the old key is gone
 * (another process moved it), 1 for a rename, 2 for a merge. Atomic per key, so processes that
 * start together never merge one key twice.
 */
export const MOVE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
local kind = redis.call('TYPE', KEYS[1]).ok
local mode = ARGV[1]
local function int(v)
  local n = tonumber(v)
  if n and math.floor(n) == n then return n end
  return nil
end
if kind == 'hash' then
  local flat = redis.call('HGETALL', KEYS[1])
  for i = 1, #flat, 2 do
    local field, old = flat[i], flat[i + 1]
    local cur = redis.call('HGET', KEYS[2], field)
    if not cur then
      redis.call('HSET', KEYS[2], field, old)
    elseif mode == 'sum' and int(old) and int(cur) then
      redis.call('HINCRBY', KEYS[2], field, old)
    elseif mode == 'max' and int(old) and int(cur) and int(old) > int(cur) then
      redis.call('HSET', KEYS[2], field, old)
    end
  end
elseif kind == 'set' then
  redis.call('SUNIONSTORE', KEYS[2], KEYS[2], KEYS[1])
elseif kind == 'zset' then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'AGGREGATE', 'MAX')
elseif kind == 'list' then
  local items = redis.call('LRANGE', KEYS[1], 0, -1)
  for i = 1, #items do redis.call('RPUSH', KEYS[2], items[i]) end
end
redis.call('DEL', KEYS[1])
return 2
`;
