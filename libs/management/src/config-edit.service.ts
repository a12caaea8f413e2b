import { Injectable } from '@nestjs/common';
import { ConfigService, parseConfig, type ConfigIssue } from '@app/config';
import { readYamlValue, setYamlValue, type YamlPath } from '@app/management/yaml-edit';

/** The outcome of a config edit. */
export type ConfigEditResult =
  { ok: true; changed: boolean } | { ok: false; status: 400 | 409 | 500; error: string };

function describeIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map(
      (i) =>
        `${i.line !== undefined ? `line ${i.line}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`,
    )
    .join('; ');
}

/** Decides the new value from the one on disk; undefined leaves the file alone. */
export type ConfigUpdater = (current: unknown) => { value: unknown } | undefined;

/**
 * How often an edit is re-applied when the config store moved on between its read and its
 * write (another replica's edit landed first): each try reads the fresh text, so both survive.
 */
const MAX_ATTEMPTS = 8;

/**
 * Edits single keys of config.yaml for the management API: the rest of the file (comments
 * included) is kept, the result is validated before it is written atomically, and the reload
 * that follows is announced to every replica. With the Redis config store the write is a
 * compare-and-set on the version read; a lost race re-applies the edit to the fresh text.
 */
@Injectable()
export class ConfigEditService {
  // Edits run one at a time: each reads the file the previous one wrote.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: ConfigService) {}

  /** Set the key at `path` to `value`. */
  set(path: YamlPath, value: unknown): Promise<ConfigEditResult> {
    return this.update(path, () => ({ value }));
  }

  /** Read the key at `path` from disk and replace it with what `updater` returns. */
  update(path: YamlPath, updater: ConfigUpdater): Promise<ConfigEditResult> {
    const run = this.queue.then(() => this.apply(path, updater));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(path: YamlPath, updater: ConfigUpdater): Promise<ConfigEditResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.applyOnce(path, updater);
      if (result !== 'conflict') return result;
      if (attempt >= MAX_ATTEMPTS) {
        return {
          ok: false,
          status: 409,
          error: `config.yaml kept changing under this edit (${MAX_ATTEMPTS} tries); try again`,
        };
      }
    }
  }

  private async applyOnce(
    path: YamlPath,
    updater: ConfigUpdater,
  ): Promise<ConfigEditResult | 'conflict'> {
    // The stored text, not the last loaded one: another replica may have written it a moment ago.
    const stored = await this.config.readSource();
    const text = stored.text ?? this.config.text;
    // An edit of one key cannot fix a file that is already broken, and must not be read from
    // or spliced into one: the operator fixes the file first (PUT config.yaml replaces it).
    const current = parseConfig(text);
    if (!current.ok) {
      return {
        ok: false,
        status: 409,
        error: `config.yaml on disk is invalid, so it was left untouched; fix it first (edit the file or PUT /v0/management/config.yaml): ${describeIssues(current.errors)}`,
      };
    }
    const next = updater(readYamlValue(text, path));
    if (!next) return { ok: true, changed: false };
    const edited = setYamlValue(text, path, next.value);
    if (!edited.ok) return { ok: false, status: 500, error: edited.error };
    if (edited.text === text) return { ok: true, changed: false };
    const written = await this.config.writeText(edited.text, { baseVersion: stored.version });
    if (!written.ok && written.conflict) return 'conflict';
    if (!written.ok) {
      return {
        ok: false,
        status: 400,
        error: `config rejected: ${written.errors.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      };
    }
    return { ok: true, changed: written.changed };
  }
}
