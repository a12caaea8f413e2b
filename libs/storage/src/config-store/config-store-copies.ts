// The config store's copies on this host: the applied cache, the mirrored local files, and the refusal of hand edits.
import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ConfigService } from '@app/config';
import type {
  ConfigStoreRepository,
  StoredText,
  StoreMeta,
} from '@app/storage/config-store/config-store.repository';
import {
  ConfigMirrorRepository,
  isMirrorName,
  type LocalAuthFile,
} from '@app/storage/config-store/config-mirror.repository';
import type { StoreAuthFile } from '@app/storage/config-store/config-store.options';

/** What a sync changed here. */
export interface Applied {
  config: boolean;
  auth: string[];
  version: number;
}

/** How many earlier store texts per item are remembered to tell a lagging copy from a hand edit. */
const RECENT_TEXTS = 8;

const HOW_TO_EDIT =
  'edit through the management API or the panel, or run `npm run config -- push <file>`';

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * What this process last applied from the store (config.yaml and the auth files), and the
 * local files that mirror it: bringing them to the store's content, and restoring a copy
 * edited by hand (the edited text is kept aside under DATA_DIR).
 */
export class ConfigStoreCopies {
  private readonly logger = new Logger('ConfigStore');
  configCache: StoredText | undefined;
  readonly authCache = new Map<string, StoredText>();
  private readonly recent = new Map<string, string[]>();

  constructor(
    private readonly config: ConfigService,
    private readonly mirror: ConfigMirrorRepository,
    private readonly authDirOf: () => string,
    private readonly warnThrottled: (message: string) => void,
  ) {}

  private get authDir(): string {
    return this.authDirOf();
  }

  /** Start from the local files, before the store is reached. */
  async seed(): Promise<void> {
    this.configCache = { text: this.config.text, version: 0, mtime: 0 };
    for (const f of await this.mirror.readAuthDir(this.authDir)) {
      this.authCache.set(f.name, { text: f.text, version: 0, mtime: f.mtime });
    }
  }

  /** This process's copies, as an import into an empty store. */
  toImport(): { text: string; files: { name: string; text: string; mtime: number }[] } {
    const text = this.configCache?.text ?? this.config.text;
    const files = [...this.authCache.entries()].map(([name, f]) => ({
      name,
      text: f.text,
      mtime: f.mtime || Date.now(),
    }));
    return { text, files };
  }

  /** The local copies were imported into the empty store as `version`. */
  imported(
    text: string,
    version: number,
    files: { name: string; text: string; mtime: number }[],
  ): void {
    this.configCache = { text, version, mtime: Date.now() };
    this.remember('config', text);
    for (const f of files) {
      this.authCache.set(f.name, { text: f.text, version, mtime: f.mtime });
      this.remember(`auth:${f.name}`, f.text);
    }
  }

  /** This process stored config.yaml as `version`: cache and mirror it. */
  async wroteConfig(text: string, version: number): Promise<void> {
    this.configCache = { text, version, mtime: Date.now() };
    this.remember('config', text);
    await this.mirror.writeText(this.config.path, text, this.configCache.mtime);
  }

  /** This process stored auth file `name` as `version`: cache and mirror it. */
  async wroteAuth(name: string, text: string, version: number): Promise<void> {
    const mtime = Date.now();
    this.authCache.set(name, { text, version, mtime });
    this.remember(`auth:${name}`, text);
    await this.mirror.writeAuth(this.authDir, name, text, mtime);
  }

  /** Every auth file as last applied here, by name. */
  authFiles(): StoreAuthFile[] {
    return [...this.authCache.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, f]) => ({ name, text: f.text }));
  }

  /**
   * Bring the cache and the mirror to `meta`. `first`: the local copies were not written by
   * this process from the store, so a difference is reported (and kept aside) before the store
   * wins.
   */
  async apply(repo: ConfigStoreRepository, meta: StoreMeta, first: boolean): Promise<Applied> {
    const applied: Applied = { config: false, auth: [], version: meta.version };
    if (meta.config && meta.config.version !== this.configCache?.version) {
      const stored = await repo.readConfig();
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
    const fetched = await repo.readAuth(wanted);
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

  /** Restore every local copy that differs from the store, keeping hand-edited text aside. */
  async refuseLocalEdits(): Promise<void> {
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

  /** Make every local copy read-only (files the first sync found already equal to the store). */
  async protectCopies(): Promise<void> {
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

  remember(key: string, text: string): void {
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
}
