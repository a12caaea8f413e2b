import { Logger, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
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
  type StoreWrite,
} from '@app/storage/config-store/config-store.repository';
import {
  ConfigMirrorRepository,
  isMirrorName,
} from '@app/storage/config-store/config-mirror.repository';
import { ConfigStoreCopies, type Applied } from '@app/storage/config-store/config-store-copies';
import type {
  ConfigStoreOptions,
  StoreAuthFile,
} from '@app/storage/config-store/config-store.options';

/** A write could not reach the config store: nothing was changed. */
export class ConfigStoreUnavailableError extends ServiceUnavailableException {
  constructor(cause?: unknown) {
    super(
      `the config store (Redis) is unreachable, so nothing was changed; try again once Redis answers` +
        (cause instanceof Error ? ` (${cause.message})` : ''),
    );
  }
}

const NOTHING: Applied = { config: false, auth: [], version: 0 };

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
  private readonly copies: ConfigStoreCopies;
  /** The store's global version when this process last applied all of it. */
  private syncedVersion = -1;
  private synced = false;
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
    this.copies = new ConfigStoreCopies(
      config,
      this.mirror,
      () => this.authDir,
      (message) => this.warnThrottled(message),
    );
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
    await this.copies.seed();
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
    return { text: this.copies.configCache?.text, version: this.copies.configCache?.version };
  }

  /** Store a new config.yaml (compare-and-set on `baseVersion`), mirror it and announce it. */
  async write(text: string, baseVersion?: number): Promise<ConfigSourceWrite> {
    const result = await this.guard(() => this.repo.putConfig(text, baseVersion, this.processName));
    if (!result.ok) return { ok: false, currentVersion: result.currentVersion };
    await this.enqueue(async () => {
      if ((this.copies.configCache?.version ?? 0) >= result.version) return;
      this.advance(result.version);
      await this.copies.wroteConfig(text, result.version);
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
    return this.copies.authFiles();
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
      if ((this.copies.authCache.get(name)?.version ?? 0) >= result.version) return;
      this.advance(result.version);
      await this.copies.wroteAuth(name, text, result.version);
    });
    void this.repo.announce(result.version, this.id);
    return result;
  }

  /** Delete an auth file from the store and the mirror; false when the store had none. */
  async deleteAuth(name: string): Promise<boolean> {
    const version = await this.guard(() => this.repo.deleteAuth(name));
    await this.enqueue(async () => {
      this.copies.authCache.delete(name);
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
    if (first && this.synced) await this.copies.protectCopies();
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
    const applied = await this.copies.apply(this.repo, meta, false);
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
    const applied = await this.copies.apply(this.repo, meta, true);
    this.syncedVersion = meta.version;
    this.synced = true;
    this.logger.log(
      `config store version ${meta.version}: config.yaml and ${this.copies.authCache.size} auth file(s) applied`,
    );
    return applied;
  }

  /** Fill the empty store from this process's copies; the version, or undefined if too late. */
  private async importLocal(): Promise<number | undefined> {
    const { text, files } = this.copies.toImport();
    const version = await this.repo.importIfEmpty(
      { text, mtime: Date.now() },
      files,
      this.processName,
    );
    if (version === undefined) return undefined;
    this.copies.imported(text, version, files);
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
    const applied = await this.copies.apply(this.repo, meta, false);
    this.syncedVersion = meta.version;
    return applied;
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
        await this.copies.refuseLocalEdits();
      });
    } catch (err) {
      this.checkQueued = false;
      this.logger.warn(`cannot check the local copies: ${errorMessage(err)}`);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** The store moved to `version` by this process's own write: skip re-reading it if nothing else did. */
  private advance(version: number): void {
    if (version === this.syncedVersion + 1) this.syncedVersion = version;
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
