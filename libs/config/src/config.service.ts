import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { applyEnvOverrides, readRuntimeEnv, type RuntimeEnv } from '@app/config/config.env';
import {
  displayPath,
  formatConfigIssues,
  parseConfig,
  type ConfigIssue,
  type ConfigParseResult,
} from '@app/config/config.loader';
import { firstRunConfig } from '@app/config/config.preflight';
import { ConfigRepository, EXAMPLE_CONFIG_FILE } from '@app/config/config.repository';
import type { AppConfig } from '@app/config/config.schema';
import { restoreSecretsInText, type ConfigPath } from '@app/config/secret-restore';

/** Called after a reload changed the config. */
export type ConfigListener = (next: Readonly<AppConfig>, prev: Readonly<AppConfig>) => void;

/** The outcome of `ConfigService.reload`. */
export interface ConfigReloadResult {
  ok: boolean;
  /** True when the effective config differs from the one before (listeners were called). */
  changed: boolean;
  errors?: ConfigIssue[];
}

/** The outcome of `ConfigService.writeText`. */
export type ConfigWriteResult =
  | { ok: true; changed: boolean; warnings: ConfigIssue[] }
  | {
      ok: false;
      errors: ConfigIssue[];
      /** The write was based on a version the store has moved past: read again and retry. */
      conflict?: boolean;
    };

/** config.yaml's text as its source holds it. */
export interface ConfigText {
  /** Undefined when there is none (the file is missing). */
  text: string | undefined;
  /** The store's version of it; undefined for a plain file, which has no versions. */
  version?: number;
}

/** The outcome of `ConfigSource.write`. */
export type ConfigSourceWrite = { ok: true } | { ok: false; currentVersion: number };

/**
 * Where config.yaml's text lives durably: the file itself (the default) or a store that keeps
 * it elsewhere and mirrors it to the file (`config-store: redis`).
 */
export interface ConfigSource {
  /** Where the text lives, for log lines. */
  readonly description: string;
  read(): Promise<ConfigText>;
  /** Replace the text; with `baseVersion`, only while the source is still at that version. */
  write(text: string, baseVersion?: number): Promise<ConfigSourceWrite>;
  /** Problems that make a valid config unfit for this source (none for a file). */
  check?(config: Readonly<AppConfig>): ConfigIssue[];
}

/** The file at `path`, written atomically. */
export class FileConfigSource implements ConfigSource {
  constructor(
    private readonly repo: ConfigRepository,
    private readonly path: string,
  ) {}

  get description(): string {
    return this.path;
  }

  async read(): Promise<ConfigText> {
    return { text: await this.repo.read(this.path) };
  }

  async write(text: string): Promise<ConfigSourceWrite> {
    await this.repo.writeAtomic(this.path, text);
    return { ok: true };
  }
}

/** Options for tests and tools; the app uses the defaults. */
export interface ConfigServiceOptions {
  /** Environment to read CONFIG_PATH, DATA_DIR, LOG_LEVEL and the overrides from. */
  env?: NodeJS.ProcessEnv;
  /** Example config copied on first run (relative to the package root). */
  examplePath?: string;
  /** Passed to `ConfigRepository.watch`. */
  debounceMs?: number;
  pollMs?: number;
}

/** The refusal of a masked value that several stored secrets share. */
function ambiguousMask(path: ConfigPath): ConfigIssue {
  return {
    path: displayPath(path),
    message: 'is the masked form of more than one stored secret: send the full value',
  };
}

const EMPTY_FILE: ConfigIssue = {
  path: '',
  message: 'the file is empty (an editor may be mid-save); keeping the previous config',
};

/** Holds the process's current config, loaded from config.yaml and kept fresh by reloads. */
@Injectable()
export class ConfigService implements OnModuleDestroy {
  private readonly logger = new Logger('Config');
  private readonly runtime: RuntimeEnv;
  private readonly processEnv: NodeJS.ProcessEnv;
  private readonly listeners = new Set<ConfigListener>();
  private config: Readonly<AppConfig> | undefined;
  private lastText: string | undefined;
  private lastJson = '';
  private lastRejected: { text: string; errors: ConfigIssue[] } | undefined;
  private stopWatch: (() => void) | undefined;
  private source: ConfigSource;
  // Reloads run one at a time, in order (file events and peer announcements can overlap).
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: ConfigRepository,
    private readonly options: ConfigServiceOptions = {},
  ) {
    this.processEnv = options.env ?? process.env;
    this.runtime = readRuntimeEnv(this.processEnv);
    this.source = new FileConfigSource(repo, this.runtime.configPath);
  }

  /** The config in force (deep-frozen; env overrides applied). */
  get current(): Readonly<AppConfig> {
    if (!this.config) throw new Error('ConfigService.init() has not completed');
    return this.config;
  }

  /** Absolute path of config.yaml. */
  get path(): string {
    return this.runtime.configPath;
  }

  /** Settings that come from the environment only. */
  get env(): RuntimeEnv {
    return this.runtime;
  }

  /** The text of config.yaml as last loaded successfully. */
  get text(): string {
    return this.lastText ?? '';
  }

  /**
   * Read and write config.yaml through `source` from now on (the Redis config store installs
   * itself at startup); call `reload` afterwards to load what it holds.
   */
  useSource(source: ConfigSource): void {
    this.source = source;
  }

  /** Where config.yaml lives durably (the file path, or the store's description). */
  get sourceDescription(): string {
    return this.source.description;
  }

  /** config.yaml's text as its source holds it now, with the store version when there is one. */
  readSource(): Promise<ConfigText> {
    return this.source.read();
  }

  /** Create config.yaml from the example if needed and load it; an invalid file throws. */
  async init(): Promise<void> {
    // The apps create the file in loadConfigOrExit (and print its new keys) before Nest starts;
    // this covers everything else that boots the modules (specs, tools).
    let keys = 0;
    const created = await this.repo.ensureExists(
      this.path,
      this.options.examplePath ?? EXAMPLE_CONFIG_FILE,
      (example) => {
        const first = firstRunConfig(example);
        keys = first.keys.length;
        return first.text;
      },
    );
    if (created) {
      this.logger.log(
        `created ${this.path} from ${EXAMPLE_CONFIG_FILE} with ${keys} random client key(s) in api-keys`,
      );
    }
    const stale = await this.repo.removeStaleTemps(this.path);
    if (stale > 0) this.logger.warn(`removed ${stale} temp file(s) left by an interrupted write`);
    const text = await this.repo.read(this.path);
    if (text === undefined) throw new Error(`${this.path} does not exist`);
    const result = parseConfig(text);
    if (!result.ok) throw new Error(formatConfigIssues(result.errors, this.path));
    this.logWarnings(result.warnings);
    this.adopt(text, result.config);
  }

  /** Re-read config.yaml; an invalid file is rejected (logged) and the old config stays. */
  reload(reason: string): Promise<ConfigReloadResult> {
    const run = this.queue.then(() => this.doReload(reason));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Subscribe to config changes; returns the unsubscribe function. */
  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Reload whenever config.yaml changes on disk. */
  startWatching(): void {
    if (this.stopWatch) return;
    this.stopWatch = this.repo.watch(
      this.path,
      () => {
        void this.reload('file changed').catch((err: unknown) => {
          this.logger.error(`reload failed: ${(err as Error).message}`);
        });
      },
      { debounceMs: this.options.debounceMs, pollMs: this.options.pollMs },
    );
  }

  /** Stop reacting to file changes. */
  stopWatching(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  onModuleDestroy(): void {
    this.stopWatching();
  }

  /**
   * Validate and save new config.yaml text (atomically), then reload. Invalid text is not
   * written; its problems are returned. With `baseVersion` (the store version the text was
   * derived from), a store that has moved on refuses the write with `conflict: true`.
   */
  async writeText(input: string, opts: { baseVersion?: number } = {}): Promise<ConfigWriteResult> {
    if (!input.trim()) return { ok: false, errors: [{ path: '', message: 'config is empty' }] };
    // A secret sent back in its masked listing form keeps the stored secret (older panels, and
    // scripts that read a list from an older GET /config and write it back whole).
    const kept = restoreSecretsInText(input, (await this.source.read()).text);
    if (kept.ambiguous.length > 0) return { ok: false, errors: kept.ambiguous.map(ambiguousMask) };
    if (kept.restored > 0) {
      this.logger.log(`kept ${kept.restored} stored secret(s) sent back in masked form`);
    }
    const text = kept.text;
    const parsed: ConfigParseResult = parseConfig(text);
    if (!parsed.ok) return parsed;
    const unfit = this.source.check?.(applyEnvOverrides(parsed.config, this.processEnv)) ?? [];
    if (unfit.length > 0) return { ok: false, errors: unfit };
    const stored = await this.source.write(text, opts.baseVersion);
    if (!stored.ok) {
      const message = `config.yaml changed in ${this.source.description} meanwhile (now version ${stored.currentVersion}); read it again and retry`;
      return { ok: false, conflict: true, errors: [{ path: '', message }] };
    }
    const reloaded = await this.reload('written');
    if (!reloaded.ok) return { ok: false, errors: reloaded.errors ?? [] };
    return { ok: true, changed: reloaded.changed, warnings: parsed.warnings };
  }

  private async doReload(reason: string): Promise<ConfigReloadResult> {
    const prev = this.current;
    const { text } = await this.source.read();
    if (text === undefined) {
      return this.reject(reason, [
        { path: '', message: 'the file is missing; keeping the previous config' },
      ]);
    }
    if (text === this.lastText) return { ok: true, changed: false };
    // The directory watch and the stat poll can both report one bad save: log it once.
    if (text === this.lastRejected?.text) {
      return { ok: false, changed: false, errors: this.lastRejected.errors };
    }
    if (!text.trim()) return this.reject(reason, [EMPTY_FILE]);
    const result = parseConfig(text);
    if (!result.ok) {
      this.lastRejected = { text, errors: result.errors };
      return this.reject(reason, result.errors);
    }
    this.logWarnings(result.warnings);
    const changed = this.adopt(text, result.config);
    this.logger.log(`config reloaded (${reason})${changed ? '' : ', nothing changed'}`);
    if (changed) this.notify(this.current, prev);
    return { ok: true, changed };
  }

  /** Make `parsed` (plus env overrides) the current config; true when it differs from before. */
  private adopt(text: string, parsed: Readonly<AppConfig>): boolean {
    const next = applyEnvOverrides(parsed, this.processEnv);
    const json = JSON.stringify(next);
    const changed = json !== this.lastJson;
    this.config = next;
    this.lastText = text;
    this.lastJson = json;
    this.lastRejected = undefined;
    return changed;
  }

  private reject(reason: string, errors: ConfigIssue[]): ConfigReloadResult {
    this.logger.error(
      `${formatConfigIssues(errors, this.source.description)}\nreload (${reason}) rejected; the previous config stays in force`,
    );
    return { ok: false, changed: false, errors };
  }

  private notify(next: Readonly<AppConfig>, prev: Readonly<AppConfig>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(next, prev);
      } catch (err) {
        this.logger.error(`config listener failed: ${(err as Error).message}`);
      }
    }
  }

  private logWarnings(warnings: ConfigIssue[]): void {
    if (warnings.length) this.logger.warn(formatConfigIssues(warnings, this.path, 'warning'));
  }
}
