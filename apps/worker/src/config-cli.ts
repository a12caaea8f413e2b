import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigRepository, ConfigService, formatConfigIssues } from '@app/config';
import { parseAuthFileJson } from '@app/routing';
import {
  changedFields,
  ConfigMirrorRepository,
  ConfigStoreRepository,
  ConfigStoreService,
  formatDiff,
  isMirrorName,
  lineDiff,
  maskSecretLine,
  redactRedisUrl,
  RedisService,
  settingsFromConfig,
} from '@app/storage';

/** Where the CLI writes (process streams; tests pass their own). */
export interface ConfigCliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

const USAGE = `Usage: npm run config -- <command> [options]

Move config.yaml and the auth files between this host's files and the Redis config store
(config-store: redis). Redis is the one in config.yaml's redis.url (REDIS_URL wins).

Commands:
  export               write the store's config.yaml and auth files to this host's files
  push <path>...       store files: a config.yaml (.yaml or .yml), auth files (.json), or a
                       directory of auth files. A config is validated first and must keep
                       config-store: redis (unless CONFIG_STORE=redis is set); every process
                       applies the change within a second
  diff                 compare this host's files with the store (exit status 1 when they differ)

Options:
  --config, -c <path>  this host's config.yaml (default: $CONFIG_PATH or ./config.yaml)
  --auth-dir <dir>     this host's auth dir (default: auth-dir in that config; $AUTH_DIR wins)
  --to <dir>           export: write <dir>/config.yaml and <dir>/auths/ instead (a backup)
  --show-secrets       diff: print keys and tokens instead of masking them
  --help, -h           this text
`;

interface CliOptions {
  command?: string;
  paths: string[];
  config?: string;
  authDir?: string;
  to?: string;
  showSecrets: boolean;
  help: boolean;
}

/** Parse the command line; throws with a message for bad input. */
export function parseConfigArgs(argv: readonly string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c' },
      'auth-dir': { type: 'string' },
      to: { type: 'string' },
      'show-secrets': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [command, ...paths] = positionals;
  if (command && !['export', 'push', 'diff'].includes(command)) {
    throw new Error(`unknown command "${command}" (export, push or diff)`);
  }
  if (command === 'push' && paths.length === 0) throw new Error('push needs at least one path');
  if (command !== 'push' && paths.length > 0) {
    throw new Error(`${command ?? 'the command'} takes no paths`);
  }
  if (values.to !== undefined && command !== 'export') throw new Error('--to is for export');
  return {
    command,
    paths,
    config: values.config,
    authDir: values['auth-dir'],
    to: values.to,
    showSecrets: values['show-secrets'],
    help: values.help,
  };
}

/** The store and this host's files, ready for one command. */
interface Context {
  config: ConfigService;
  redis: RedisService;
  repo: ConfigStoreRepository;
  store: ConfigStoreService;
  mirror: ConfigMirrorRepository;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The config CLI. Returns the exit code: 0 done (diff: no differences), 1 refused or
 * different, 2 bad arguments or Redis unreachable.
 */
export async function runConfigCli(argv: readonly string[], io: ConfigCliIo): Promise<number> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  let opts: CliOptions;
  try {
    opts = parseConfigArgs(argv);
  } catch (e) {
    err((e as Error).message);
    err(USAGE);
    return 2;
  }
  if (opts.help || !opts.command) {
    (opts.help ? out : err)(USAGE);
    return opts.help ? 0 : 2;
  }

  const env = { ...io.env };
  if (opts.config) env.CONFIG_PATH = opts.config;
  if (opts.authDir) env.AUTH_DIR = opts.authDir;
  const files = new ConfigRepository();
  const config = new ConfigService(files, { env });
  try {
    await config.init();
  } catch (e) {
    err(`cannot load config: ${(e as Error).message}`);
    return 2;
  }
  const redis = new RedisService(settingsFromConfig(config.current), 'config-cli');
  redis.connect();
  try {
    if (!(await redis.waitReady(3000))) {
      err(`Redis is not reachable (${redactRedisUrl(config.current.redis.url)})`);
      return 2;
    }
    const ctx: Context = {
      config,
      redis,
      repo: new ConfigStoreRepository(redis),
      store: new ConfigStoreService(config, redis, files, `config-cli:${process.pid}`),
      mirror: new ConfigMirrorRepository(files, 0o600),
      out,
      err,
    };
    switch (opts.command) {
      case 'export':
        return await exportStore(ctx, opts.to);
      case 'push':
        return await push(ctx, opts.paths);
      default:
        return await diff(ctx, opts.showSecrets);
    }
  } catch (e) {
    err((e as Error).message);
    return 2;
  } finally {
    await redis.close();
  }
}

async function exportStore(ctx: Context, to: string | undefined): Promise<number> {
  const stored = await ctx.repo.readConfig();
  if (!stored) {
    ctx.err(
      'the config store is empty: nothing to export (a process with config-store: redis fills it on its first start, or run `npm run config -- push <config.yaml>`)',
    );
    return 1;
  }
  const meta = await ctx.repo.meta();
  const auth = await ctx.repo.readAuth([...meta.auth.keys()].filter(isMirrorName));
  const configPath = to ? join(resolve(to), 'config.yaml') : ctx.config.path;
  const authDir = to ? join(resolve(to), 'auths') : ctx.store.authDir;
  await ctx.mirror.writeText(configPath, stored.text, stored.mtime);
  for (const [name, f] of auth) await ctx.mirror.writeAuth(authDir, name, f.text, f.mtime);
  ctx.out(`config.yaml (store version ${stored.version}) → ${configPath}`);
  ctx.out(`${auth.size} auth file(s) → ${authDir}`);
  const extra = (await ctx.mirror.readAuthDir(authDir)).filter((f) => !auth.has(f.name));
  if (extra.length > 0) {
    ctx.out(`not in the store, left alone: ${extra.map((f) => f.name).join(', ')}`);
  }
  return 0;
}

/** The files a push names: config texts and auth files (a directory stands for its .json). */
async function collect(paths: readonly string[]): Promise<{ configs: string[]; auth: string[] }> {
  const configs: string[] = [];
  const auth: string[] = [];
  for (const raw of paths) {
    const path = resolve(raw);
    const s = await stat(path).catch(() => undefined);
    if (!s) throw new Error(`${raw}: no such file or directory`);
    if (s.isDirectory()) {
      const names = (await readdir(path)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
      auth.push(...names.map((n) => join(path, n)));
    } else if (/\.ya?ml$/i.test(path)) {
      configs.push(path);
    } else if (/\.json$/i.test(path)) {
      auth.push(path);
    } else {
      throw new Error(`${raw}: not a config (.yaml, .yml) nor an auth file (.json)`);
    }
  }
  if (configs.length > 1) throw new Error('push takes at most one config.yaml at a time');
  return { configs, auth };
}

async function push(ctx: Context, paths: readonly string[]): Promise<number> {
  const { configs, auth } = await collect(paths);
  let failed = 0;
  // Validate every auth file before storing any, so a typo does not leave half a push.
  const checked: { name: string; text: string }[] = [];
  for (const path of auth) {
    const name = basename(path);
    const text = await readFile(path, 'utf8');
    try {
      if (!isMirrorName(name))
        throw new Error('the name must be letters, digits and @+._- ending in .json');
      parseAuthFileJson(name, JSON.parse(text));
      checked.push({ name, text });
    } catch (e) {
      ctx.err(`${path}: not stored: ${(e as Error).message}`);
      failed++;
    }
  }
  if (failed > 0) return 1;

  for (const path of configs) {
    ctx.config.useSource(ctx.store);
    const result = await ctx.config.writeText(await readFile(path, 'utf8'));
    if (!result.ok) {
      ctx.err(formatConfigIssues(result.errors, path));
      ctx.err('config.yaml not stored');
      return 1;
    }
    const { version } = await ctx.config.readSource();
    ctx.out(`${path} → config store (version ${version ?? '?'})`);
  }
  for (const f of checked) {
    const r = await ctx.store.putAuth(f.name, f.text);
    if (r.ok) ctx.out(`${f.name} → config store (version ${r.version})`);
  }
  return 0;
}

async function diff(ctx: Context, showSecrets: boolean): Promise<number> {
  const stored = await ctx.repo.readConfig();
  if (!stored) {
    ctx.out('the config store is empty');
    return 1;
  }
  let differs = false;
  const local = await ctx.mirror.readText(ctx.config.path);
  if (local !== stored.text) {
    differs = true;
    ctx.out(`--- config store (version ${stored.version})`);
    ctx.out(`+++ ${ctx.config.path}${local === undefined ? ' (missing)' : ''}`);
    const mask = showSecrets ? (l: string) => l : maskSecretLine;
    for (const line of formatDiff(lineDiff(stored.text, local ?? ''))) {
      ctx.out(line === '@@' ? line : `${line[0]}${mask(line.slice(1))}`);
    }
  }
  const meta = await ctx.repo.meta();
  const storedAuth = await ctx.repo.readAuth([...meta.auth.keys()]);
  const dir = ctx.store.authDir;
  const localAuth = new Map((await ctx.mirror.readAuthDir(dir)).map((f) => [f.name, f.text]));
  for (const [name, f] of [...storedAuth].sort(([a], [b]) => a.localeCompare(b))) {
    const mine = localAuth.get(name);
    if (mine === undefined) ctx.out(`auth ${name}: only in the store`);
    else if (mine !== f.text)
      ctx.out(`auth ${name}: differs (${changedFields(f.text, mine).join(', ')})`);
    if (mine !== f.text) differs = true;
  }
  for (const name of [...localAuth.keys()].sort()) {
    if (storedAuth.has(name)) continue;
    ctx.out(`auth ${name}: only in ${dir}`);
    differs = true;
  }
  if (!differs) ctx.out(`no differences (config store version ${meta.version})`);
  return differs ? 1 : 0;
}

if (require.main === module) {
  // The CLI prints its own lines; library logs only when something is wrong.
  Logger.overrideLogger(['error']);
  void runConfigCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => process.exit(code));
}
