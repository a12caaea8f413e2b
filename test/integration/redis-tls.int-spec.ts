// rediss:// with an ACL user (issue 23): a redis-server on its TLS port only, with a server
// certificate signed by a CA made here with openssl, the default user off and one ACL user. The
// gateway's connections reach it from the URL alone, or with REDIS_USERNAME / REDIS_PASSWORD /
// REDIS_TLS_CA when the URL cannot say it, and refuse a server they cannot verify.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisService, type RedisSettings } from '@app/storage';
import { UsageRepository } from '@app/usage';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';

const USER = 'sb-gateway';
// Characters a URL has to escape: the reason REDIS_PASSWORD exists.
const PASSWORD = 'p@ss:w/rd?#%';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA and a server certificate for 127.0.0.1 and localhost signed by it, in `dir`. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=switchboard test CA',
  );
  openssl(
    dir,
    'req',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
  );
}

describe('Redis over TLS with an ACL user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-tls-'));
  const ca = join(dir, 'ca.crt');
  let server: ChildProcess;
  let port: number;
  const opened: RedisService[] = [];

  const settings = (over: Partial<RedisSettings>): RedisSettings => ({
    url: `rediss://127.0.0.1:${port}`,
    keyPrefix: uniquePrefix('tls'),
    commandTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    ...over,
  });
  const open = (s: RedisSettings): RedisService => {
    const r = new RedisService(s, 'tls-spec');
    opened.push(r);
    r.connect();
    return r;
  };

  beforeAll(async () => {
    makeCertificates(dir);
    port = await freePort();
    const bin =
      process.env.SB_TEST_REDIS_BIN ??
      ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
    if (!bin) throw new Error('this spec needs redis-server (apt-get install -y redis-server)');
    server = spawn(
      bin,
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        join(dir, 'server.crt'),
        '--tls-key-file',
        join(dir, 'server.key'),
        '--tls-ca-cert-file',
        ca,
        '--tls-auth-clients',
        'no',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        // Nobody gets in without a user and password: the default user is off.
        '--user',
        'default',
        'off',
        '--user',
        USER,
        'on',
        `>${PASSWORD}`,
        '~*',
        '&*',
        '+@all',
      ],
      { stdio: 'ignore' },
    );
    const probe = open(settings({ username: USER, password: PASSWORD, tlsCa: ca }));
    await waitFor(() => probe.ping(), { timeoutMs: 10_000, what: 'the TLS server' });
  });

  afterAll(async () => {
    // The server first: a TLS socket being ended otherwise waits for ioredis's 2 s fallback.
    await new Promise((resolve) => {
      if (!server || server.exitCode !== null) return resolve(undefined);
      server.once('exit', resolve);
      server.kill('SIGKILL');
    });
    await Promise.all(opened.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('should connect with rediss://user:password@host:port/db and the CA, as that user, on that db', async () => {
    const url = `rediss://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/2`;
    const sut = open(settings({ url, tlsCa: ca }));
    expect(await sut.waitReady(5000)).toBe(true);
    expect(await sut.command.call('ACL', 'WHOAMI')).toBe(USER);
    expect(await sut.command.call('CLIENT', 'INFO')).toMatch(/ db=2 /);
    // The usage script, pub/sub and a BullMQ-style blocking connection all go through TLS.
    const repo = new UsageRepository(sut);
    expect(await repo.readTotals()).toEqual({});
    const got: string[] = [];
    sut.subscribe('tls-channel', (m) => got.push(m));
    expect(await sut.waitSubscribed(5000)).toBe(true);
    await sut.publish('tls-channel', 'over tls');
    await waitFor(() => got.length === 1, { what: 'the message' });
    const blocking = sut.connection('blocking', 'tls-blocking');
    try {
      expect(await blocking.call('ACL', 'WHOAMI')).toBe(USER);
    } finally {
      blocking.disconnect();
    }
  });

  it('should take the user, password and CA from settings when the URL carries none', async () => {
    const sut = open(settings({ username: USER, password: PASSWORD, tlsCa: ca }));
    expect(await sut.waitReady(5000)).toBe(true);
    await sut.command.set(sut.key('x'), '1');
    expect(await sut.command.get(sut.key('x'))).toBe('1');
  });

  it('should refuse a server whose certificate it cannot verify, and a wrong password', async () => {
    const untrusted = open(settings({ username: USER, password: PASSWORD }));
    const wrong = open(settings({ username: USER, password: 'not-the-password', tlsCa: ca }));
    const anonymous = open(settings({ tlsCa: ca }));
    const ready = await Promise.all([untrusted, wrong, anonymous].map((r) => r.waitReady(1500)));
    expect(ready).toEqual([false, false, false]);
  });
});
