import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CONFIG_EXIT_CODE, configFileProblem } from '@app/common';
import { applyEnvOverrides, readRuntimeEnv } from '@app/config/config.env';
import { formatConfigIssues, parseConfig, type ConfigIssue } from '@app/config/config.loader';
import { ConfigRepository, EXAMPLE_CONFIG_FILE } from '@app/config/config.repository';
import type { AppConfig } from '@app/config/config.schema';

/** The example's placeholder client keys, one list item per line (`  - 'your-api-key-1'`). */
const EXAMPLE_KEY_LINE = /^(\s*-\s*)'your-api-key-\d+'[ \t]*$/gm;

/** A new random client key: 32 URL-safe characters after a recognisable prefix. */
export function newClientKey(): string {
  return `sk-sb-${randomBytes(24).toString('base64url')}`;
}

/**
 * The text of a first-run config.yaml: the example with each placeholder client key replaced by
 * a new random one. Returns the text and the keys put in it.
 */
export function firstRunConfig(
  exampleText: string,
  makeKey: () => string = newClientKey,
): { text: string; keys: string[] } {
  const keys: string[] = [];
  const text = exampleText.replace(EXAMPLE_KEY_LINE, (_line, item: string) => {
    const key = makeKey();
    keys.push(key);
    return `${item}'${key}'`;
  });
  return { text, keys };
}

/** The outcome of `preflightConfig`. */
export type PreflightResult =
  | {
      ok: true;
      path: string;
      config: Readonly<AppConfig>;
      /** Client keys written into a config.yaml this call created (empty otherwise). */
      newKeys: string[];
    }
  | { ok: false; path: string; errors: ConfigIssue[] };

/**
 * Before anything else starts: create config.yaml on first run (random client keys instead of
 * the example's placeholders) and validate it with the environment overrides. Nothing is
 * printed; `loadConfigOrExit` and the launcher decide what to say.
 */
export async function preflightConfig(
  env: NodeJS.ProcessEnv = process.env,
  repo: ConfigRepository = new ConfigRepository(),
  examplePath: string = EXAMPLE_CONFIG_FILE,
): Promise<PreflightResult> {
  const { configPath: path } = readRuntimeEnv(env);
  let newKeys: string[] = [];
  const created = await repo.ensureExists(path, examplePath, (example) => {
    const first = firstRunConfig(example);
    newKeys = first.keys;
    return first.text;
  });
  if (!created) newKeys = [];
  const text = await repo.read(path);
  if (text === undefined) {
    return { ok: false, path, errors: [{ path: '', message: 'the file does not exist' }] };
  }
  const parsed = parseConfig(text);
  if (!parsed.ok) return { ok: false, path, errors: parsed.errors };
  try {
    return { ok: true, path, config: applyEnvOverrides(parsed.config, env), newKeys };
  } catch (err) {
    return { ok: false, path, errors: [{ path: 'environment', message: (err as Error).message }] };
  }
}

/** The first-run notice that carries the new client keys (shown once, never logged again). */
export function newKeysNotice(path: string, keys: readonly string[]): string {
  return [
    `created ${path} with ${keys.length} new client key(s); clients send one as ` +
      '`Authorization: Bearer <key>` (they are in api-keys, and this is the only time they are printed):',
    ...keys.map((k) => `  ${k}`),
  ].join('\n');
}

/**
 * An app's first step: `preflightConfig`, then either the first-run keys (printed on this
 * process's stdout only, before the shared process log exists) or the list of problems, printed
 * once without a stack trace, and exit with CONFIG_EXIT_CODE so no supervisor restarts it.
 */
export async function loadConfigOrExit(
  logger: LoggerService,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Extract<PreflightResult, { ok: true }>> {
  let result: PreflightResult;
  try {
    result = await preflightConfig(env);
  } catch (err) {
    // Unreadable file or directory (permissions): as fatal as a wrong value, and as clear.
    const path = readRuntimeEnv(env).configPath;
    logger.error(configFileProblem(err, path) ?? (err as Error).message, 'Config');
    process.exit(CONFIG_EXIT_CODE);
  }
  if (!result.ok) {
    logger.error(formatConfigIssues(result.errors, result.path), 'Config');
    process.exit(CONFIG_EXIT_CODE);
  }
  if (result.newKeys.length > 0) logger.log(newKeysNotice(result.path, result.newKeys), 'Config');
  return result;
}
