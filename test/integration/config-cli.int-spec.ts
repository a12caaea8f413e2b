import { Logger } from '@nestjs/common';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runConfigCli } from '@app/worker/config-cli';
import { ConfigStoreRepository, RedisService } from '@app/storage';
import { testRedisSettings, testRedisUrl, uniquePrefix } from '@test/utils/env';

const CLAUDE = (token: string) => ({
  type: 'claude',
  email: 'dev@example.com',
  access_token: token,
  refresh_token: 'rt-1',
});

/** Save a file the way editors do (a temp file renamed over it): works on a read-only copy. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.swp`, content);
  renameSync(`${path}.swp`, path);
}

/** Run the CLI with captured output. */
async function cli(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runConfigCli(argv, { stdout, stderr, env });
  return { code, out, err };
}

describe('npm run config (config CLI)', () => {
  let root: string;
  let env: Record<string, string>;
  let redis: RedisService;
  let repo: ConfigStoreRepository;
  const prefix = uniquePrefix('config-cli');

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    root = mkdtempSync(join(tmpdir(), 'sb-config-cli-'));
    mkdirSync(join(root, 'auths'));
    writeFileSync(
      join(root, 'config.yaml'),
      `config-store: redis\nredis:\n  key-prefix: "${prefix}"\napi-keys: ["sk-client-abcdefghij"]\n`,
    );
    env = {
      CONFIG_PATH: join(root, 'config.yaml'),
      AUTH_DIR: join(root, 'auths'),
      DATA_DIR: join(root, 'data'),
      REDIS_URL: testRedisUrl(),
      // Set when the suite runs against a Redis Cluster (npm run test:cluster).
      REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES ?? '',
    };
    redis = new RedisService(testRedisSettings(prefix), 'cli-spec');
    redis.connect();
    await redis.waitReady(5000);
    repo = new ConfigStoreRepository(redis);
  });

  afterAll(async () => {
    await redis.close();
    rmSync(root, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('should explain its commands and refuse bad arguments', async () => {
    expect((await cli(['--help'], env)).out).toContain('export');
    expect((await cli(['frobnicate'], env)).code).toBe(2);
    expect((await cli(['push'], env)).err).toContain('push needs at least one path');
    expect((await cli(['export'], env)).err).toContain('the config store is empty');
  });

  it('should push a config and auth files, refusing an invalid one without storing anything', async () => {
    writeFileSync(join(root, 'claude-dev@example.com.json'), JSON.stringify(CLAUDE('at-1')));
    writeFileSync(join(root, 'broken@example.com.json'), '{"type":"nope"}');
    const bad = await cli(
      ['push', join(root, 'claude-dev@example.com.json'), join(root, 'broken@example.com.json')],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('broken@example.com.json: not stored');
    expect((await repo.meta()).auth.size).toBe(0);

    const ok = await cli(
      ['push', join(root, 'config.yaml'), join(root, 'claude-dev@example.com.json')],
      env,
    );
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toMatch(/config\.yaml → config store \(version \d+\)/);
    expect((await repo.readConfig())?.text).toContain('sk-client-abcdefghij');
    expect([...(await repo.meta()).auth.keys()]).toEqual(['claude-dev@example.com.json']);
    // Stored, and mirrored into this host's auth dir.
    expect(existsSync(join(root, 'auths', 'claude-dev@example.com.json'))).toBe(true);

    writeFileSync(join(root, 'leave.yaml'), 'config-store: file\n');
    const leave = await cli(['push', join(root, 'leave.yaml')], env);
    expect(leave.code).toBe(1);
    expect(leave.err).toContain('config-store');
  });

  it('should show differences with secrets masked and exit 1, then 0 once they match', async () => {
    replaceFile(
      env.CONFIG_PATH,
      readFileSync(env.CONFIG_PATH, 'utf8').replace('sk-client-abcdefghij', 'sk-client-zyxwvutsrq'),
    );
    replaceFile(join(root, 'auths', 'claude-dev@example.com.json'), JSON.stringify(CLAUDE('at-9')));
    writeFileSync(join(root, 'auths', 'local-only@example.com.json'), JSON.stringify(CLAUDE('x')));
    const d = await cli(['diff'], env);
    expect(d.code).toBe(1);
    expect(d.out).toContain('--- config store (version');
    expect(d.out).not.toContain('sk-client-abcdefghij');
    expect(d.out).not.toContain('sk-client-zyxwvutsrq');
    expect(d.out).toContain('auth claude-dev@example.com.json: differs (access_token)');
    expect(d.out).toContain('auth local-only@example.com.json: only in');
    expect(d.out).not.toContain('at-9');
    expect((await cli(['diff', '--show-secrets'], env)).out).toContain('sk-client-zyxwvutsrq');

    rmSync(join(root, 'auths', 'local-only@example.com.json'));
    const e = await cli(['export'], env);
    expect(e.code).toBe(0);
    expect(readFileSync(env.CONFIG_PATH, 'utf8')).toContain('sk-client-abcdefghij');
    expect(await cli(['diff'], env)).toMatchObject({ code: 0 });
  });

  it('should export a backup into another directory', async () => {
    const to = join(root, 'backup');
    const e = await cli(['export', '--to', to], env);
    expect(e.code).toBe(0);
    expect(readFileSync(join(to, 'config.yaml'), 'utf8')).toBe((await repo.readConfig())?.text);
    expect(
      JSON.parse(readFileSync(join(to, 'auths', 'claude-dev@example.com.json'), 'utf8')),
    ).toEqual(CLAUDE('at-1'));
  });
});
