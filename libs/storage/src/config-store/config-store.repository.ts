import { RedisService } from '@app/storage/redis.service';

/** Pub/sub channel announcing "the config store moved to a new version". */
export const CONFIG_STORE_CHANNEL = 'config-store';

/** Where an item stands in the store: the global version of its last write and its mtime. */
export interface StoredMeta {
  version: number;
  /** ms since epoch of the write. */
  mtime: number;
}

/** An item's text with its meta. */
export interface StoredText extends StoredMeta {
  text: string;
}

/** The metadata of everything in the store, read in one transaction. */
export interface StoreMeta {
  /** The global version: bumped by every write. 0 when the store is empty. */
  version: number;
  config: StoredMeta | undefined;
  auth: Map<string, StoredMeta>;
}

/** The outcome of a compare-and-set write. */
export type StoreWrite = { ok: true; version: number } | { ok: false; currentVersion: number };

/** An auth file to import. */
export interface ImportFile {
  name: string;
  text: string;
  mtime: number;
}

// Every key carries the `{cfg}` hash tag so the scripts and transactions below touch one hash
// slot (Redis Cluster runs them only then). Versions come from one counter, so a reader that
// saw version N knows whether anything changed since with one GET.

// KEYS: version, config. ARGV: base ('' = unconditional), text, mtime, writer.
const PUT_CONFIG = `
local cur = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= cur then return {0, cur} end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'text', ARGV[2], 'version', v, 'mtime', ARGV[3], 'by', ARGV[4])
return {1, v}
`;

// KEYS: version, auth texts, auth meta. ARGV: name, base ('' = unconditional, '0' = must not
// exist), text, mtime.
const PUT_AUTH = `
local meta = redis.call('HGET', KEYS[3], ARGV[1])
local cur = 0
if meta then cur = tonumber(string.match(meta, '^(%d+)')) end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= cur then return {0, cur} end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], v .. ':' .. ARGV[4])
return {1, v}
`;

// KEYS: version, auth texts, auth meta. ARGV: name. Returns {0, 0} when there is no such file.
const DELETE_AUTH = `
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then return {0, 0} end
local v = redis.call('INCR', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return {1, v}
`;

// KEYS: version, config, auth texts, auth meta. ARGV: config text, mtime, writer, then
// (name, text, mtime) per auth file. Only into an empty store (no config yet): 0 otherwise.
const IMPORT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'text', ARGV[1], 'version', v, 'mtime', ARGV[2], 'by', ARGV[3])
for i = 4, #ARGV, 3 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[4], ARGV[i], v .. ':' .. ARGV[i + 2])
end
return v
`;

function parseMeta(raw: string | null | undefined): StoredMeta | undefined {
  if (!raw) return undefined;
  const [v, m] = raw.split(':');
  const version = Number(v);
  if (!Number.isFinite(version)) return undefined;
  return { version, mtime: Number(m) || 0 };
}

/** Throw the error of a failed transaction step, else return its result. */
function step<T>(entry: [Error | null, unknown] | undefined): T {
  if (!entry) throw new Error('config store: transaction returned no result');
  if (entry[0]) throw entry[0];
  return entry[1] as T;
}

/**
 * The config store's Redis I/O: config.yaml's text and the auth files, each with the global
 * version of its last write, changed only through compare-and-set scripts.
 */
export class ConfigStoreRepository {
  private readonly keys: {
    version: string;
    config: string;
    auth: string;
    authMeta: string;
  };

  constructor(private readonly redis: RedisService) {
    const k = (name: string) => redis.key('{cfg}', 'store', name);
    this.keys = {
      version: k('version'),
      config: k('config'),
      auth: k('auth'),
      authMeta: k('auth-meta'),
    };
  }

  /** The global version (0 for an empty store). */
  async version(): Promise<number> {
    return Number(await this.redis.command.get(this.keys.version)) || 0;
  }

  /** Every item's version and mtime, in one transaction. */
  async meta(): Promise<StoreMeta> {
    const out = await this.redis.command
      .multi()
      .get(this.keys.version)
      .hmget(this.keys.config, 'version', 'mtime')
      .hgetall(this.keys.authMeta)
      .exec();
    const version = Number(step<string | null>(out?.[0])) || 0;
    const [cv, cm] = step<(string | null)[]>(out?.[1]);
    const config = cv ? { version: Number(cv), mtime: Number(cm) || 0 } : undefined;
    const auth = new Map<string, StoredMeta>();
    for (const [name, raw] of Object.entries(step<Record<string, string>>(out?.[2]))) {
      const m = parseMeta(raw);
      if (m) auth.set(name, m);
    }
    return { version, config, auth };
  }

  /** config.yaml as stored; undefined for an empty store. */
  async readConfig(): Promise<StoredText | undefined> {
    const [text, version, mtime] = await this.redis.command.hmget(
      this.keys.config,
      'text',
      'version',
      'mtime',
    );
    if (text === null || version === null) return undefined;
    return { text, version: Number(version), mtime: Number(mtime) || 0 };
  }

  /** Some auth files with their meta, read together (absent names are left out). */
  async readAuth(names: readonly string[]): Promise<Map<string, StoredText>> {
    const found = new Map<string, StoredText>();
    if (names.length === 0) return found;
    const out = await this.redis.command
      .multi()
      .hmget(this.keys.auth, ...names)
      .hmget(this.keys.authMeta, ...names)
      .exec();
    const texts = step<(string | null)[]>(out?.[0]);
    const metas = step<(string | null)[]>(out?.[1]);
    names.forEach((name, i) => {
      const text = texts[i];
      const meta = parseMeta(metas[i]);
      if (text !== null && text !== undefined && meta) found.set(name, { text, ...meta });
    });
    return found;
  }

  /** Replace config.yaml; with `base`, only while the stored one is still at that version. */
  async putConfig(text: string, base: number | undefined, writer: string): Promise<StoreWrite> {
    const reply = (await this.redis.command.eval(
      PUT_CONFIG,
      2,
      this.keys.version,
      this.keys.config,
      base === undefined ? '' : String(base),
      text,
      String(Date.now()),
      writer,
    )) as [number, number];
    return writeResult(reply);
  }

  /**
   * Write an auth file; with `base`, only while the stored one is at that version (0: only when
   * there is none).
   */
  async putAuth(name: string, text: string, base: number | undefined): Promise<StoreWrite> {
    const reply = (await this.redis.command.eval(
      PUT_AUTH,
      3,
      this.keys.version,
      this.keys.auth,
      this.keys.authMeta,
      name,
      base === undefined ? '' : String(base),
      text,
      String(Date.now()),
    )) as [number, number];
    return writeResult(reply);
  }

  /** Delete an auth file; the new global version, or undefined when there was no such file. */
  async deleteAuth(name: string): Promise<number | undefined> {
    const [ok, version] = (await this.redis.command.eval(
      DELETE_AUTH,
      3,
      this.keys.version,
      this.keys.auth,
      this.keys.authMeta,
      name,
    )) as [number, number];
    return ok === 1 ? version : undefined;
  }

  /** Fill an empty store; the new version, or undefined when the store already had a config. */
  async importIfEmpty(
    config: { text: string; mtime: number },
    files: readonly ImportFile[],
    writer: string,
  ): Promise<number | undefined> {
    const args: string[] = [config.text, String(config.mtime), writer];
    for (const f of files) args.push(f.name, f.text, String(f.mtime));
    const v = (await this.redis.command.eval(
      IMPORT,
      4,
      this.keys.version,
      this.keys.config,
      this.keys.auth,
      this.keys.authMeta,
      ...args,
    )) as number;
    return v === 0 ? undefined : v;
  }

  /** Tell every process that the store moved to `version`. */
  announce(version: number, from: string): Promise<boolean> {
    return this.redis.publish(CONFIG_STORE_CHANNEL, JSON.stringify({ from, version }));
  }

  /** Run `handler` on every announcement; returns the unsubscribe function. */
  onAnnouncement(handler: (from: string) => void): () => void {
    return this.redis.subscribe(CONFIG_STORE_CHANNEL, (message) => {
      let from = '';
      try {
        const parsed = (JSON.parse(message) as { from?: unknown }).from;
        if (typeof parsed === 'string') from = parsed;
      } catch {
        // a malformed message still means "look at the store"
      }
      handler(from);
    });
  }
}

function writeResult([ok, version]: [number, number]): StoreWrite {
  return ok === 1 ? { ok: true, version } : { ok: false, currentVersion: version };
}
