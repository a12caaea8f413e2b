import { Logger } from '@nestjs/common';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigRepository, ConfigService, parseConfig } from '@app/config';
import { ConfigEditService } from '@app/management';
import { AuthDirRepository } from '@app/routing';
import {
  ConfigStoreRepository,
  ConfigStoreService,
  ConfigStoreUnavailableError,
  RedisService,
  settingsFromConfig,
} from '@app/storage';
import { testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { keysMatching } from '@test/utils/redis-keys';

const CLAUDE = (token: string) => ({
  type: 'claude',
  email: 'dev@example.com',
  access_token: token,
  refresh_token: 'rt-1',
});

/** One "host": its own config.yaml, auth dir and data dir, sharing the test Redis. */
interface Host {
  root: string;
  configPath: string;
  authDir: string;
  dataDir: string;
  config: ConfigService;
  redis: RedisService;
  store: ConfigStoreService;
  close(): Promise<void>;
}

const hosts: Host[] = [];

async function startHost(
  name: string,
  prefix: string,
  yaml: string,
  files: Record<string, object> = {},
  env: Record<string, string> = {},
): Promise<Host> {
  const root = mkdtempSync(join(tmpdir(), `sb-store-${name}-`));
  const configPath = join(root, 'config.yaml');
  const authDir = join(root, 'auths');
  const dataDir = join(root, 'data');
  mkdirSync(authDir, { recursive: true });
  await writeFile(configPath, `redis:\n  key-prefix: "${prefix}"\n${yaml}`);
  for (const [file, data] of Object.entries(files)) {
    await writeFile(join(authDir, file), JSON.stringify(data, null, 2));
  }
  const config = new ConfigService(new ConfigRepository(), {
    env: {
      CONFIG_PATH: configPath,
      AUTH_DIR: authDir,
      DATA_DIR: dataDir,
      REDIS_URL: testRedisUrl(),
      // Set when the suite runs against a Redis Cluster (npm run test:cluster).
      REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES ?? '',
      ...env,
    },
  });
  await config.init();
  const redis = new RedisService(settingsFromConfig(config.current), name);
  redis.connect();
  const store = new ConfigStoreService(config, redis, new ConfigRepository(), name, {
    pollMs: 100,
  });
  await store.start();
  const host: Host = {
    root,
    configPath,
    authDir,
    dataDir,
    config,
    redis,
    store,
    close: async () => {
      store.stop();
      await redis.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  hosts.push(host);
  return host;
}

/** Save a file the way editors do (a temp file renamed over it): works on a read-only copy. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.swp`, content);
  renameSync(`${path}.swp`, path);
}

function text(path: string): string {
  return readFileSync(path, 'utf8');
}

async function jsonFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
}

describe(ConfigStoreService.name, () => {
  let warnings: string[];
  let errors: string[];

  beforeEach(() => {
    warnings = [];
    errors = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((m: unknown) => void warnings.push(String(m)));
    jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((m: unknown) => void errors.push(String(m)));
  });

  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.close();
    jest.restoreAllMocks();
  });

  it('should import config.yaml and every auth file on the first start with an empty store', async () => {
    const prefix = uniquePrefix('store-import');
    const a = await startHost('a', prefix, 'config-store: redis\ndebug: true\n', {
      'claude-dev@example.com.json': CLAUDE('at-1'),
      'kimi-device-1.json': { type: 'kimi', access_token: 'k', refresh_token: 'r' },
    });
    expect(a.store.active).toBe(true);
    expect(a.store.ready).toBe(true);

    const repo = new ConfigStoreRepository(a.redis);
    const stored = await repo.readConfig();
    expect(stored?.text).toBe(text(a.configPath));
    expect(stored?.text).toContain('debug: true');
    const meta = await repo.meta();
    expect([...meta.auth.keys()].sort()).toEqual([
      'claude-dev@example.com.json',
      'kimi-device-1.json',
    ]);
    const auth = await repo.readAuth(['claude-dev@example.com.json']);
    expect(JSON.parse(auth.get('claude-dev@example.com.json')!.text)).toEqual(CLAUDE('at-1'));
    expect(a.store.authFiles().map((f) => f.name)).toEqual([
      'claude-dev@example.com.json',
      'kimi-device-1.json',
    ]);
    expect(warnings).toEqual([]);
  });

  it('should let a non-empty store win over a stale local file on start, with a warning, keeping the local version aside', async () => {
    const prefix = uniquePrefix('store-stale');
    const a = await startHost('a', prefix, 'config-store: redis\ndebug: true\n', {
      'claude-dev@example.com.json': CLAUDE('at-store'),
    });
    const b = await startHost('b', prefix, 'config-store: redis\ndebug: false\n', {
      'claude-dev@example.com.json': CLAUDE('at-stale'),
      'extra@example.com.json': CLAUDE('at-extra'),
    });

    // B runs the store's config, and its mirror is the store's.
    expect(b.config.current.debug).toBe(true);
    expect(text(b.configPath)).toBe(text(a.configPath));
    expect(await jsonFiles(b.authDir)).toEqual(['claude-dev@example.com.json']);
    expect(JSON.parse(text(join(b.authDir, 'claude-dev@example.com.json')))).toEqual(
      CLAUDE('at-store'),
    );
    expect(b.store.authFiles().map((f) => JSON.parse(f.text).access_token)).toEqual(['at-store']);

    // Warned, with where the local versions went and how to push them.
    const kept = join(b.dataDir, 'refused-edits', 'config.yaml');
    expect(warnings.join('\n')).toContain(`${b.configPath} differs from the config store`);
    expect(warnings.join('\n')).toContain(`npm run config -- push ${kept}`);
    expect(text(kept)).toContain('debug: false');
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    expect(warnings.join('\n')).toMatch(
      /replaced claude-dev@example\.com\.json; removed extra@example\.com\.json/,
    );
    expect(
      JSON.parse(text(join(b.dataDir, 'refused-edits', 'auths', 'extra@example.com.json'))),
    ).toEqual(CLAUDE('at-extra'));
  });

  it('should apply a config write on one host to the other within a second, mirror included', async () => {
    const prefix = uniquePrefix('store-write');
    const a = await startHost('a', prefix, 'config-store: redis\nrequest-retry: 1\n');
    const b = await startHost('b', prefix, 'config-store: redis\n');
    const seen: number[] = [];
    b.config.onChange((next) => seen.push(next['request-retry']));

    const next = text(a.configPath).replace('request-retry: 1', 'request-retry: 3');
    const t0 = Date.now();
    const written = await a.config.writeText(next);
    expect(written).toMatchObject({ ok: true, changed: true });
    expect(a.config.current['request-retry']).toBe(3);
    await waitFor(() => b.config.current['request-retry'] === 3, {
      timeoutMs: 1000,
      what: 'host B to apply the write',
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(seen).toEqual([3]);
    await waitFor(() => text(b.configPath) === next, { timeoutMs: 1000, what: 'B mirror' });
    expect(text(a.configPath)).toBe(next);
    expect((await new ConfigStoreRepository(a.redis).readConfig())?.text).toBe(next);
  });

  it('should refuse a write based on a stale version and keep both of two concurrent list edits', async () => {
    const prefix = uniquePrefix('store-cas');
    const a = await startHost('a', prefix, 'config-store: redis\napi-keys: ["k0"]\n');
    const b = await startHost('b', prefix, 'config-store: redis\n');

    const base = await a.config.readSource();
    expect(base.version).toBeGreaterThan(0);
    expect(await b.config.writeText(`${base.text!}debug: true\n`)).toMatchObject({ ok: true });
    const stale = await a.config.writeText(`${base.text!}request-retry: 2\n`, {
      baseVersion: base.version,
    });
    expect(stale).toMatchObject({ ok: false, conflict: true });
    expect((await a.config.readSource()).text).toContain('debug: true');

    // Two list edits at once, one per host, each from its own (soon stale) read.
    const editA = new ConfigEditService(a.config);
    const editB = new ConfigEditService(b.config);
    const add = (key: string) => (current: unknown) => ({
      value: [...((current as string[] | undefined) ?? []), key],
    });
    const results = await Promise.all([
      editA.update(['api-keys'], add('from-a-1')),
      editB.update(['api-keys'], add('from-b-1')),
      editA.update(['api-keys'], add('from-a-2')),
      editB.update(['api-keys'], add('from-b-2')),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const final = parseConfig((await a.config.readSource()).text!);
    expect(final.ok && [...final.config['api-keys']].sort()).toEqual([
      'from-a-1',
      'from-a-2',
      'from-b-1',
      'from-b-2',
      'k0',
    ]);
    await waitFor(
      () => a.config.current['api-keys'].length === 5 && b.config.current['api-keys'].length === 5,
      { timeoutMs: 1000, what: 'both hosts to apply every edit' },
    );
  });

  it('should keep a stored secret that a write sends back in its masked form', async () => {
    const prefix = uniquePrefix('store-mask');
    const a = await startHost(
      'a',
      prefix,
      'config-store: redis\nclaude-api-key:\n  - api-key: "sk-ant-real-secret-0123456789"\n',
    );
    const b = await startHost('b', prefix, 'config-store: redis\n');
    const masked = (await b.config.readSource()).text!.replace(
      'sk-ant-real-secret-0123456789',
      'sk-…6789',
    );
    expect(await b.config.writeText(`${masked}debug: true\n`)).toMatchObject({ ok: true });
    const stored = (await a.config.readSource()).text!;
    expect(stored).toContain('sk-ant-real-secret-0123456789');
    expect(stored).toContain('debug: true');
    await waitFor(() => a.config.current.debug, { timeoutMs: 1000, what: 'A to apply it' });
    expect(a.config.current['claude-api-key'][0]['api-key']).toBe('sk-ant-real-secret-0123456789');
  });

  it('should refuse a config that leaves store mode unless CONFIG_STORE keeps it', async () => {
    const prefix = uniquePrefix('store-mode');
    const a = await startHost('a', prefix, 'config-store: redis\n');
    const r = await a.config.writeText('config-store: file\n');
    expect(r).toMatchObject({ ok: false, errors: [{ path: 'config-store' }] });
    expect(!r.ok && r.errors[0].message).toContain('npm run config -- export');

    const b = await startHost(
      'b',
      uniquePrefix('store-mode-env'),
      '',
      {},
      { CONFIG_STORE: 'redis' },
    );
    expect(b.store.active).toBe(true);
    expect(await b.config.writeText('debug: true\n')).toMatchObject({ ok: true });
  });

  it('should share auth files: a write on one host serves on the other, and concurrent edits merge', async () => {
    const prefix = uniquePrefix('store-auth');
    const a = await startHost('a', prefix, 'config-store: redis\n');
    const b = await startHost('b', prefix, 'config-store: redis\n');
    const changed: string[][] = [];
    a.store.onAuthChange((names) => changed.push([...names]));

    const repoB = new AuthDirRepository(b.authDir, {}, b.store);
    const repoA = new AuthDirRepository(a.authDir, {}, a.store);
    await repoB.writeAtomic('claude-dev@example.com.json', CLAUDE('at-1'));
    await waitFor(() => a.store.authFiles().length === 1, { timeoutMs: 1000, what: 'A to see it' });
    expect(changed).toEqual([['claude-dev@example.com.json']]);
    await waitFor(() => existsSync(join(a.authDir, 'claude-dev@example.com.json')), {
      timeoutMs: 1000,
      what: 'A mirror',
    });
    // A read-only copy: editors say so before anyone edits it by hand.
    expect(statSync(join(a.authDir, 'claude-dev@example.com.json')).mode & 0o777).toBe(0o400);

    // A token refresh on A and a field edit on B, each from its own read: both land.
    const setField = (key: string, value: unknown) => (t: string) =>
      JSON.stringify({ ...JSON.parse(t), [key]: value });
    const [ra, rb] = await Promise.all([
      repoA.update('claude-dev@example.com.json', setField('access_token', 'at-2')),
      repoB.update('claude-dev@example.com.json', setField('disabled', true)),
    ]);
    expect([ra, rb]).toEqual(['written', 'written']);
    const final = JSON.parse((await a.store.readAuth('claude-dev@example.com.json'))!.text);
    expect(final).toMatchObject({ access_token: 'at-2', disabled: true });
    expect(await repoA.update('nope@example.com.json', (t) => t)).toBe('missing');

    await repoA.remove('claude-dev@example.com.json');
    await waitFor(() => b.store.authFiles().length === 0, { timeoutMs: 1000, what: 'B delete' });
    await waitFor(() => !existsSync(join(b.authDir, 'claude-dev@example.com.json')), {
      timeoutMs: 1000,
      what: 'B mirror delete',
    });
  });

  it('should refuse a hand edit of a local copy: restore it, keep the edit aside and say how to edit', async () => {
    const prefix = uniquePrefix('store-hand');
    const a = await startHost('a', prefix, 'config-store: redis\ndebug: false\n', {
      'claude-dev@example.com.json': CLAUDE('at-1'),
    });
    const original = text(a.configPath);
    expect(statSync(a.configPath).mode & 0o777).toBe(0o400);
    replaceFile(a.configPath, original.replace('debug: false', 'debug: true'));
    await waitFor(() => text(a.configPath) === original, {
      timeoutMs: 3000,
      what: 'the hand edit to be undone',
    });
    expect(a.config.current.debug).toBe(false);
    const kept = join(a.dataDir, 'refused-edits', 'config.yaml');
    expect(text(kept)).toContain('debug: true');
    const log = errors.join('\n');
    expect(log).toContain('was edited by hand, but this process runs with config-store: redis');
    expect(log).toContain(`npm run config -- push ${kept}`);
    expect(log).toContain('management API');

    await writeFile(join(a.authDir, 'sneaky@example.com.json'), JSON.stringify(CLAUDE('x')));
    await waitFor(() => !existsSync(join(a.authDir, 'sneaky@example.com.json')), {
      timeoutMs: 3000,
      what: 'the dropped-in auth file to be removed',
    });
    expect(a.store.authFiles().map((f) => f.name)).toEqual(['claude-dev@example.com.json']);
    expect(existsSync(join(a.dataDir, 'refused-edits', 'auths', 'sneaky@example.com.json'))).toBe(
      true,
    );
    expect(errors.join('\n')).toContain('auth files changed by hand');
  });

  it('should refill a flushed store from the copies it applied last', async () => {
    const prefix = uniquePrefix('store-flush');
    const a = await startHost('a', prefix, 'config-store: redis\ndebug: true\n', {
      'claude-dev@example.com.json': CLAUDE('at-1'),
    });
    const keys = await keysMatching(a.redis, `${prefix}{cfg}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await a.redis.command.del(...keys);
    const repo = new ConfigStoreRepository(a.redis);
    await waitFor(async () => (await repo.readConfig())?.text.includes('debug: true'), {
      timeoutMs: 2000,
      what: 'the store to be refilled',
    });
    expect([...(await repo.meta()).auth.keys()]).toEqual(['claude-dev@example.com.json']);
    expect(warnings.join('\n')).toContain('the config store in Redis is empty');
  });

  it('should refuse writes while Redis is unreachable and keep serving the last copy', async () => {
    const prefix = uniquePrefix('store-down');
    const a = await startHost('a', prefix, 'config-store: redis\ndebug: true\n');
    await a.redis.close();
    await expect(a.config.writeText('config-store: redis\ndebug: false\n')).rejects.toBeInstanceOf(
      ConfigStoreUnavailableError,
    );
    expect(a.config.current.debug).toBe(true);
    expect((await a.config.readSource()).text).toContain('debug: true');
    await expect(a.store.readAuth('x@example.com.json')).rejects.toBeInstanceOf(
      ConfigStoreUnavailableError,
    );
  });
});
