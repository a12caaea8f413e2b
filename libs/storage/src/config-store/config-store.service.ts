import { Logger, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  ConfigRepository,
  ConfigService,
  expandHome,
  type AppConfig,
  type ConfigIssue,
  type ConfigSource,
  type ConfigSourceWrite,
  type ConfigText,
} from '@app/config';
import { RedisService } from '@app/storage/redis.service';
import {
  ConfigStoreRepository,
  type StoredText,
  type StoreMeta,
  type StoreWrite,
} from '@app/storage/config-store/config-store.repository';
import {
  ConfigMirrorRepository,
  isMirrorName,
  type LocalAuthFile,
} from '@app/storage/config-store/config-mirror.repository';

/** A write could not reach the config store: nothing was changed. */
export class ConfigStoreUnavailableError extends ServiceUnavailableException {
  constructor(cause?: unknown) {
    super(
      `the config store (Redis) is unreachable, so nothing was changed; try again once Redis answers` +
        (cause instanceof Error ? ` (${cause.message})` : ''),
    );
  }
}

/** One auth file as the store holds it (name, text). */
export interface StoreAuthFile {
  name: string;
  text: string;
}

/** Injection token for optional tuning (tests). */
export const CONFIG_STORE_OPTIONS = 'SB_CONFIG_STORE_OPTIONS';

/** Tuning for tests. */
export interface ConfigStoreOptions {
  /** How often the store's version is compared with the one applied here. */
  pollMs?: number;
  /** How long startup waits for Redis before serving from the local copies. */
  startupWaitMs?: number;
}

/** What a sync changed here. */
interface Applied {
  config: boolean;
  auth: string[];
  version: number;
}

const NOTHING: Applied = { config: false, auth: [], version: 0 };

/** How many earlier store texts per item are remembered to tell a lagging copy from a hand edit. */
const RECENT_TEXTS = 8;

const HOW_TO_EDIT =
  'edit through the management API or the panel, or run `npm run config -- push <file>`';

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `config-store: redis`: config.yaml and the auth files live in Redis, versioned, and every
 * process mirrors them to its local files (read-only copies for people and backups).
 *
 * - Startup: an empty store imports this host's config.yaml and auth files; a store that has
 *   content wins over the local files (a differing local file is kept aside, with a warning).
 * - Writes go to the store first (compare-and-set on the version they were based on), then to
 *   this process's cache and mirror, and are announced; every process also polls the store's
 *   version each second, so a missed announcement costs at most that.
 * - A hand edit of a mirror is refused: the edited text is kept aside under DATA_DIR, the file
 *   restored, and the log says how to make the change.
 *
 * In file mode (`config-store: file`, the default) this service does nothing.
 */
export class ConfigStoreService implements ConfigSource, OnApplicationShutdown {
  readonly description = 'the Redis config store';
  /** True when this process runs with `config-store: redis`. */
  readonly active: boolean;
  private readonly logger = new Logger('ConfigStore');
  private readonly repo: ConfigStoreRepository;
  private readonly mirror: ConfigMirrorRepository;
  private readonly id: string;
  private configCache: StoredText | undefined;
  private readonly authCache = new Map<string, StoredText>();
  /** The store's global version when this process last applied all of it. */
  private syncedVersion = -1;
  private synced = false;
  private readonly recent = new Map<string, string[]>();
  private readonly authListeners = new Set<(names: readonly string[]) => void>();
  // Syncs, own writes and hand-edit checks run one at a time: each sees the cache and the
  // mirror in step.
  private queue: Promise<unknown> = Promise.resolve();
  private syncQueued = false;
  private checkQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private offAnnounce: (() => void) | undefined;
  private stopWatches: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    files: ConfigRepository,
    private readonly processName: string,
    private readonly options: ConfigStoreOptions = {},
  ) {
    this.active = config.current['config-store'] === 'redis';
    this.repo = new ConfigStoreRepository(redis);
    this.mirror = new ConfigMirrorRepository(files);
    this.id = `${processName}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** False only in store mode before this process has applied the store once (readiness). */
  get ready(): boolean {
    return !this.active || this.synced;
  }

  /** Absolute path of the local auth dir (the mirror). */
  get authDir(): string {
    return resolve(expandHome(this.config.current['auth-dir'].trim() || './auths'));
  }

  /** Bootstrap (store mode): seed from the local files, then import into or apply the store. */
  async start(): Promise<void> {
    if (!this.active) return;
    this.configCache = { text: this.config.text, version: 0, mtime: 0 };
    for (const f of await this.mirror.readAuthDir(this.authDir)) {
      this.authCache.set(f.name, { text: f.text, version: 0, mtime: f.mtime });
    }
    this.config.useSource(this);
    const reachable = await this.redis.waitReady(this.options.startupWaitMs ?? 5000);
    if (reachable) await this.runSync('startup');
    if (!this.synced) {
      this.logger.warn(
        'the config store (Redis) is unreachable: serving from the local copies of config.yaml and the auth files until it answers',
      );
    }
    this.offAnnounce = this.repo.onAnnouncement((from) => {
      if (from !== this.id) this.requestSync();
    });
    this.timer = setInterval(() => this.requestSync(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.stopWatches.push(
      this.mirror.watchFile(this.config.path, () => this.requestCheck()),
      this.mirror.watchDir(this.authDir, () => this.requestCheck()),
    );
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** Stop polling, listening and watching (idempotent). */
  stop(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.offAnnounce?.();
    this.offAnnounce = undefined;
    for (const stop of this.stopWatches) stop();
    this.stopWatches = [];
  }

  /** Run `listener` after auth files changed through the store; returns the unsubscribe. */
  onAuthChange(listener: (names: readonly string[]) => void): () => void {
    this.authListeners.add(listener);
    return () => {
      this.authListeners.delete(listener);
    };
  }

  // ---- config.yaml (ConfigSource) --------------------------------------------------------------

  /** The stored config.yaml (fresh from Redis; the last applied copy while Redis is down). */
  async read(): Promise<ConfigText> {
    try {
      const stored = await this.repo.readConfig();
      if (stored) return { text: stored.text, version: stored.version };
    } catch {
      // unreachable: the copy applied last is the best there is
    }
    return { text: this.configCache?.text, version: this.configCache?.version };
  }

  /** Store a new config.yaml (compare-and-set on `baseVersion`), mirror it and announce it. */
  async write(text: string, baseVersion?: number): Promise<ConfigSourceWrite> {
    const result = await this.guard(() => this.repo.putConfig(text, baseVersion, this.processName));
    if (!result.ok) return { ok: false, currentVersion: result.currentVersion };
    await this.enqueue(async () => {
      if ((this.configCache?.version ?? 0) >= result.version) return;
      this.configCache = { text, version: result.version, mtime: Date.now() };
      this.remember('config', text);
      this.advance(result.version);
      await this.mirror.writeText(this.config.path, text, this.configCache.mtime);
    });
    void this.repo.announce(result.version, this.id);
    return { ok: true };
  }

  /** A config that would take this cluster out of store mode cannot be stored. */
  check(config: Readonly<AppConfig>): ConfigIssue[] {
    if (config['config-store'] === 'redis') return [];
    return [
      {
        path: 'config-store',
        message:
          'this cluster keeps config.yaml in Redis, so a config saying "file" cannot be stored there (keep `config-store: redis`); to move back to files, run `npm run config -- export`, set config-store: file in the exported config.yaml and restart every process',
      },
    ];
  }

  // ---- auth files ------------------------------------------------------------------------------

  /** Every auth file as last applied here, by name. */
  authFiles(): StoreAuthFile[] {
    return [...this.authCache.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, f]) => ({ name, text: f.text }));
  }

  /**
   * One auth file with its version, fresh from Redis: read-modify-writes (token refresh, edits)
   * start here, so this throws ConfigStoreUnavailableError while Redis is down rather than
   * hand out a copy that may be stale.
   */
  async readAuth(name: string): Promise<{ text: string; version: number } | undefined> {
    const found = (await this.guard(() => this.repo.readAuth([name]))).get(name);
    return found ? { text: found.text, version: found.version } : undefined;
  }

  /**
   * Store an auth file, mirror it and announce it. With `baseVersion`, only while the stored
   * file is still at that version (0: only when there is none).
   */
  async putAuth(name: string, text: string, baseVersion?: number): Promise<StoreWrite> {
    if (!isMirrorName(name)) throw new Error(`invalid auth file name: ${name}`);
    const result = await this.guard(() => this.repo.putAuth(name, text, baseVersion));
    if (!result.ok) return result;
    await this.enqueue(async () => {
      if ((this.authCache.get(name)?.version ?? 0) >= result.version) return;
      const mtime = Date.now();
      this.authCache.set(name, { text, version: result.version, mtime });
      this.remember(`auth:${name}`, text);
      this.advance(result.version);
      await this.mirror.writeAuth(this.authDir, name, text, mtime);
    });
    void this.repo.announce(result.version, this.id);
    return result;
  }

  /** Delete an auth file from the store and the mirror; false when the store had none. */
  async deleteAuth(name: string): Promise<boolean> {
    const version = await this.guard(() => this.repo.deleteAuth(name));
    await this.enqueue(async () => {
      this.authCache.delete(name);
      if (version !== undefined) this.advance(version);
      await this.mirror.removeAuth(this.authDir, name);
    });
    if (version === undefined) return false;
    void this.repo.announce(version, this.id);
    return true;
  }

  // ---- syncing ---------------------------------------------------------------------------------

  /** Apply the store now (tests and tools; the poll does it every second anyway). */
  syncNow(): Promise<void> {
    return this.runSync('requested');
  }

  private requestSync(): void {
    if (this.syncQueued || this.closed) return;
    this.syncQueued = true;
    void this.runSync('poll');
  }

  private async runSync(reason: string): Promise<void> {
    const first = !this.synced;
    let applied = NOTHING;
    try {
      applied = await this.enqueue(async () => {
        this.syncQueued = false;
        return this.synced ? this.sync() : this.firstSync();
      });
    } catch (err) {
      this.syncQueued = false;
      this.warnThrottled(`cannot read the config store (${reason}): ${errorMessage(err)}`);
      return;
    }
    if (first && this.synced) await this.protectCopies();
    await this.tell(applied);
  }

  /** Reload what changed: config.yaml through ConfigService, auth files through the listeners. */
  private async tell(applied: Applied): Promise<void> {
    if (applied.config) await this.config.reload(`config store version ${applied.version}`);
    if (applied.auth.length === 0) return;
    for (const listener of [...this.authListeners]) {
      try {
        listener(applied.auth);
      } catch (err) {
        this.logger.error(`an auth-file listener failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Apply whatever changed in the store since the version applied last. */
  private async sync(): Promise<Applied> {
    const version = await this.repo.version();
    if (version === this.syncedVersion) return NOTHING;
    if (version === 0) return this.reseed();
    const meta = await this.repo.meta();
    const applied = await this.apply(meta, false);
    this.syncedVersion = meta.version;
    return applied;
  }

  /**
   * The first contact with the store: import into an empty one, else make the store's content
   * this host's (warning about local files that differ, which are kept aside).
   */
  private async firstSync(): Promise<Applied> {
    let meta = await this.repo.meta();
    if (!meta.config) {
      const imported = await this.importLocal();
      if (imported !== undefined) return { config: false, auth: [], version: imported };
      meta = await this.repo.meta(); // another process imported first
    }
    const applied = await this.apply(meta, true);
    this.syncedVersion = meta.version;
    this.synced = true;
    this.logger.log(
      `config store version ${meta.version}: config.yaml and ${this.authCache.size} auth file(s) applied`,
    );
    return applied;
  }

  /** Fill the empty store from this process's copies; the version, or undefined if too late. */
  private async importLocal(): Promise<number | undefined> {
    const text = this.configCache?.text ?? this.config.text;
    const files = [...this.authCache.entries()].map(([name, f]) => ({
      name,
      text: f.text,
      mtime: f.mtime || Date.now(),
    }));
    const version = await this.repo.importIfEmpty(
      { text, mtime: Date.now() },
      files,
      this.processName,
    );
    if (version === undefined) return undefined;
    this.configCache = { text, version, mtime: Date.now() };
    this.remember('config', text);
    for (const f of files) {
      this.authCache.set(f.name, { text: f.text, version, mtime: f.mtime });
      this.remember(`auth:${f.name}`, f.text);
    }
    this.syncedVersion = version;
    this.synced = true;
    this.logger.log(
      `config store was empty: imported config.yaml and ${files.length} auth file(s) from this host (version ${version})`,
    );
    void this.repo.announce(version, this.id);
    return version;
  }

  /** The store lost its content (flushed, or a new Redis): refill it from the copies here. */
  private async reseed(): Promise<Applied> {
    this.logger.warn(
      'the config store in Redis is empty (flushed, or a different Redis?): refilling it from this process’s copies',
    );
    const version = await this.importLocal();
    if (version !== undefined) return NOTHING;
    const meta = await this.repo.meta();
    const applied = await this.apply(meta, false);
    this.syncedVersion = meta.version;
    return applied;
  }

  /**
   * Bring the cache and the mirror to `meta`. `first`: the local copies were not written by
   * this process from the store, so a difference is reported (and kept aside) before the store
   * wins.
   */
  private async apply(meta: StoreMeta, first: boolean): Promise<Applied> {
    const applied: Applied = { config: false, auth: [], version: meta.version };
    if (meta.config && meta.config.version !== this.configCache?.version) {
      const stored = await this.repo.readConfig();
      if (stored) {
        const before = this.configCache?.text;
        if (first && before !== undefined && before !== stored.text) {
          await this.reportStaleConfig(before, stored);
        }
        this.configCache = stored;
        this.remember('config', stored.text);
        applied.config = before !== stored.text;
        if ((await this.mirror.readText(this.config.path)) !== stored.text) {
          await this.mirror.writeText(this.config.path, stored.text, stored.mtime);
        }
      }
    }

    const wanted = [...meta.auth.entries()]
      .filter(([name, m]) => this.authCache.get(name)?.version !== m.version)
      .map(([name]) => name)
      .filter((name) => {
        if (isMirrorName(name)) return true;
        this.warnThrottled(`the config store holds an auth file with an unsafe name, skipped`);
        return false;
      });
    const fetched = await this.repo.readAuth(wanted);
    const stale: string[] = [];
    for (const [name, stored] of fetched) {
      const before = this.authCache.get(name)?.text;
      if (first && before !== undefined && before !== stored.text) stale.push(name);
      this.authCache.set(name, stored);
      this.remember(`auth:${name}`, stored.text);
      if (before !== stored.text) applied.auth.push(name);
      const local = await this.mirror.readAuth(this.authDir, name);
      if (local?.text !== stored.text) {
        if (first && local) await this.keepAside(`auths/${name}`, local.text);
        await this.mirror.writeAuth(this.authDir, name, stored.text, stored.mtime);
      }
    }
    const extra: string[] = [];
    for (const name of [...this.authCache.keys()]) {
      if (meta.auth.has(name)) continue;
      if (first) extra.push(name);
      const local = await this.mirror.readAuth(this.authDir, name);
      if (first && local) await this.keepAside(`auths/${name}`, local.text);
      this.authCache.delete(name);
      await this.mirror.removeAuth(this.authDir, name);
      applied.auth.push(name);
    }
    if (stale.length + extra.length > 0) {
      this.logger.warn(
        `local auth files differ from the config store (version ${meta.version}), which wins: ` +
          [
            stale.length ? `replaced ${stale.join(', ')}` : '',
            extra.length ? `removed ${extra.join(', ')} (not in the store)` : '',
          ]
            .filter(Boolean)
            .join('; ') +
          `. The local versions are kept in ${join(this.refusedDir, 'auths')}; to store one, ${HOW_TO_EDIT}`,
      );
    }
    return applied;
  }

  private async reportStaleConfig(local: string, stored: StoredText): Promise<void> {
    const kept = await this.keepAside('config.yaml', local);
    this.logger.warn(
      `${this.config.path} differs from the config store (version ${stored.version}, written ${new Date(stored.mtime).toISOString()}), which wins: the local file is now the store's copy. ` +
        `Your local version is kept at ${kept}; to make it the cluster's config, run \`npm run config -- push ${kept}\``,
    );
  }

  // ---- hand edits ------------------------------------------------------------------------------

  private requestCheck(): void {
    if (this.checkQueued || this.closed) return;
    this.checkQueued = true;
    void this.runCheck();
  }

  private async runCheck(): Promise<void> {
    // Apply the store first: a copy written by another process on this host (a shared dir) is
    // then already known and is not mistaken for a hand edit.
    if (this.synced) await this.runSync('local change');
    try {
      await this.enqueue(async () => {
        this.checkQueued = false;
        await this.refuseLocalEdits();
      });
    } catch (err) {
      this.checkQueued = false;
      this.logger.warn(`cannot check the local copies: ${errorMessage(err)}`);
    }
  }

  /** Restore every local copy that differs from the store, keeping hand-edited text aside. */
  private async refuseLocalEdits(): Promise<void> {
    const cfg = this.configCache;
    if (cfg) {
      const local = await this.mirror.readText(this.config.path);
      if (local !== cfg.text) {
        if (local !== undefined && !this.isRecent('config', local) && local.trim()) {
          const kept = await this.keepAside('config.yaml', local);
          this.logger.error(
            `${this.config.path} was edited by hand, but this process runs with config-store: redis: the store in Redis is the source of truth and local files are read-only copies. ` +
              `The edit was not applied and the file was restored; your version is kept at ${kept}. To make a change, ${HOW_TO_EDIT.replace('<file>', kept)}`,
          );
        }
        await this.mirror.writeText(this.config.path, cfg.text, cfg.mtime);
      }
    }

    const dir = this.authDir;
    const refused: string[] = [];
    const restored: string[] = [];
    const local = new Map<string, LocalAuthFile>(
      (await this.mirror.readAuthDir(dir)).map((f) => [f.name, f]),
    );
    for (const [name, file] of local) {
      const stored = this.authCache.get(name);
      if (stored?.text === file.text) continue;
      if (!this.isRecent(`auth:${name}`, file.text)) {
        await this.keepAside(`auths/${name}`, file.text);
        refused.push(name);
      }
      if (stored) await this.mirror.writeAuth(dir, name, stored.text, stored.mtime);
      else await this.mirror.removeAuth(dir, name);
    }
    for (const [name, stored] of this.authCache) {
      if (local.has(name)) continue;
      restored.push(name);
      await this.mirror.writeAuth(dir, name, stored.text, stored.mtime);
    }
    if (refused.length > 0) {
      this.logger.error(
        `auth files changed by hand in ${dir} (${refused.join(', ')}), but this process runs with config-store: redis: the store in Redis is the source of truth and the auth dir is a read-only copy. ` +
          `The change was not applied and the files were restored; your versions are kept in ${join(this.refusedDir, 'auths')}. To add or replace an auth file, upload it through the management API or the panel, or run \`npm run config -- push <file>\``,
      );
    }
    if (restored.length > 0) {
      this.logger.warn(
        `auth files deleted by hand from ${dir} were restored from the config store (${restored.join(', ')}); delete them through the management API or the panel`,
      );
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** Make every local copy read-only (files the first sync found already equal to the store). */
  private async protectCopies(): Promise<void> {
    await this.mirror.protect([
      this.config.path,
      ...[...this.authCache.keys()].map((name) => join(this.authDir, name)),
    ]);
  }

  /** Where refused hand edits are kept: `<DATA_DIR>/refused-edits`. */
  private get refusedDir(): string {
    return join(this.config.env.dataDir, 'refused-edits');
  }

  private async keepAside(rel: string, text: string): Promise<string> {
    const [sub, name] = rel.includes('/') ? rel.split('/') : ['', rel];
    return this.mirror.keepRefused(sub ? join(this.refusedDir, sub) : this.refusedDir, name, text);
  }

  /** The store moved to `version` by this process's own write: skip re-reading it if nothing else did. */
  private advance(version: number): void {
    if (version === this.syncedVersion + 1) this.syncedVersion = version;
  }

  private remember(key: string, text: string): void {
    const list = this.recent.get(key) ?? [];
    const h = digest(text);
    if (list[list.length - 1] === h) return;
    list.push(h);
    if (list.length > RECENT_TEXTS) list.shift();
    this.recent.set(key, list);
  }

  /** True when `text` was the store's content of `key` recently (a copy lagging behind). */
  private isRecent(key: string, text: string): boolean {
    return this.recent.get(key)?.includes(digest(text)) ?? false;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.redis.isReady) throw new ConfigStoreUnavailableError();
    try {
      return await fn();
    } catch (err) {
      throw new ConfigStoreUnavailableError(err);
    }
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private lastWarn = 0;

  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.logger.warn(message);
  }
}
