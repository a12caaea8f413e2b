import { Injectable } from '@nestjs/common';
import { managementError } from '@app/common';
import { ConfigService, formatConfigIssues, maskUrlPassword, type ConfigIssue } from '@app/config';
import { ConfigEditService } from '@app/management/config-edit.service';
import { readYamlValue, type YamlPath } from '@app/management/yaml-edit';
import type { EditResult } from '@app/management/config-routes/list-edit';
import { ConfigLockRepository } from '@app/management/config-routes/config-lock.repository';

/** The outcome of replacing config.yaml (PUT /config.yaml). */
export type ReplaceTextResult =
  | { ok: true; changed: boolean }
  | {
      ok: false;
      /** CLIProxyAPI's error codes: the text does not parse, or parses but is not a valid config. */
      error: 'invalid_yaml' | 'invalid_config';
      /** Every problem, one per line, with its line number. */
      message: string;
      issues: ConfigIssue[];
    };

const SYNTAX = 'YAML syntax:';

/**
 * config.yaml for the management routes: reads, single-key edits and whole-file replacement.
 * Every write runs under the cluster-wide config lock and through ConfigService (validated
 * first, written atomically, reloaded and announced to every replica).
 */
@Injectable()
export class ConfigRoutesService {
  constructor(
    private readonly config: ConfigService,
    private readonly edit: ConfigEditService,
    private readonly lock: ConfigLockRepository,
  ) {}

  /**
   * The config in force as JSON, secrets as config.yaml holds them (GET /config), as CLIProxyAPI
   * answers: clients read a list here, edit one entry and write the whole list back, so a masked
   * value would be written over the secret. A key holder can read config.yaml itself anyway.
   * Only what the environment supplies (`REDIS_URL`) is not in the file and keeps its password
   * hidden.
   */
  inForce(): Record<string, unknown> {
    const out = structuredClone(this.config.current) as Record<string, unknown> & {
      redis: { url: string };
    };
    if (out.redis.url !== readYamlValue(this.config.text, ['redis', 'url'])) {
      out.redis.url = maskUrlPassword(out.redis.url);
    }
    return out;
  }

  /** The text of config.yaml as stored (the file, or the config store); undefined when missing. */
  async readText(): Promise<string | undefined> {
    return (await this.config.readSource()).text;
  }

  /** Set the key at `path`; throws AppError when the result is not a valid config. */
  set(path: YamlPath, value: unknown): Promise<void> {
    return this.update(path, () => ({ ok: true, value }));
  }

  /**
   * Read the key at `path` from the file, let `edit` decide its new value, write it. A refusal
   * from `edit` (or an invalid result) is thrown as an AppError and nothing is written.
   */
  async update(path: YamlPath, edit: (current: unknown) => EditResult<unknown>): Promise<void> {
    let refusal: { status: number; error: string } | undefined;
    const result = await this.locked(() =>
      this.edit.update(path, (current) => {
        const next = edit(current);
        if (next.ok) return { value: next.value };
        refusal = next;
        return undefined;
      }),
    );
    if (refusal) throw managementError(refusal.status, refusal.error);
    if (!result.ok) throw managementError(result.status, result.error);
  }

  /** Validate `text` as a whole config.yaml and, when valid, make it the file. */
  async replaceText(text: string): Promise<ReplaceTextResult> {
    const written = await this.locked(() => this.config.writeText(text));
    if (written.ok) return { ok: true, changed: written.changed };
    const syntax =
      written.errors.length > 0 && written.errors.every((e) => e.message.startsWith(SYNTAX));
    return {
      ok: false,
      error: syntax ? 'invalid_yaml' : 'invalid_config',
      message: formatConfigIssues(written.errors, 'config.yaml'),
      issues: written.errors,
    };
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await this.lock.acquire();
    if (lock === 'busy') {
      throw managementError(
        503,
        'config.yaml is being edited by another replica; try again in a moment',
        { 'Retry-After': '1' },
      );
    }
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }
}
