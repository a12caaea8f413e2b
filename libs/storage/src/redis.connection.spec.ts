import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { createRedisClient, parseHostPort } from '@app/storage/redis.connection';
import { describeRedis, topologyOf, type RedisSettings } from '@app/storage/redis.options';

const base: RedisSettings = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'sb:',
  commandTimeoutMs: 700,
  connectTimeoutMs: 900,
};

describe(parseHostPort.name, () => {
  it('should read host:port, a bare host and a bracketed IPv6 address', () => {
    expect(parseHostPort('10.0.0.1:26380', 26379)).toEqual({ host: '10.0.0.1', port: 26380 });
    expect(parseHostPort(' sentinel-a ', 26379)).toEqual({ host: 'sentinel-a', port: 26379 });
    expect(parseHostPort('[::1]:7001', 6379)).toEqual({ host: '::1', port: 7001 });
  });

  it('should refuse what is not an address', () => {
    expect(() => parseHostPort('a:b', 1)).toThrow(/not a host:port/);
    expect(() => parseHostPort(':6379', 1)).toThrow(/not a host:port/);
    expect(() => parseHostPort('a:70000', 1)).toThrow(/not a host:port/);
  });
});

describe(createRedisClient.name, () => {
  const opened: (Redis | Cluster)[] = [];
  const open = (s: RedisSettings, role: Parameters<typeof createRedisClient>[1] = 'command') => {
    const c = createRedisClient(s, role, 'spec');
    opened.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of opened.splice(0)) c.disconnect();
  });

  it('should read user, password, database and TLS from a rediss:// URL', () => {
    const sut = open({ ...base, url: 'rediss://sb-user:p%40ss%3Aword@redis.example:6380/3' });
    expect(sut).toBeInstanceOf(Redis);
    const o = (sut as Redis).options;
    expect(o).toMatchObject({
      host: 'redis.example',
      port: 6380,
      db: 3,
      username: 'sb-user',
      password: 'p@ss:word',
      tls: {},
      commandTimeout: 700,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
  });

  it('should let explicit settings win over the URL and load the CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-ca-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nspec\n-----END CERTIFICATE-----\n');
      const sut = open({
        ...base,
        url: 'redis://old:old@127.0.0.1:6379',
        username: 'acl-user',
        password: 'acl-pass',
        tlsCa: ca,
      }) as Redis;
      expect(sut.options.username).toBe('acl-user');
      expect(sut.options.password).toBe('acl-pass');
      expect(String(sut.options.tls?.ca)).toContain('BEGIN CERTIFICATE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should say which CA file it cannot read', () => {
    expect(() => open({ ...base, tlsCa: '/nonexistent/ca.pem' })).toThrow(
      'redis.tls-ca (REDIS_TLS_CA): cannot read /nonexistent/ca.pem: ENOENT',
    );
  });

  it('should follow the primary the sentinels name, over TLS when the URL says rediss', () => {
    const s: RedisSettings = {
      ...base,
      url: 'rediss://:data-pass@ignored:1/2',
      sentinels: ['10.0.0.1:26379', '10.0.0.2'],
      sentinelName: 'sb-primary',
      sentinelPassword: 'sentinel-pass',
    };
    expect(topologyOf(s)).toBe('sentinel');
    const sut = open(s) as Redis;
    expect(sut.options).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'sb-primary',
      role: 'master',
      sentinelPassword: 'sentinel-pass',
      password: 'data-pass',
      db: 2,
      enableTLSForSentinelMode: true,
      failoverDetector: true,
    });
    expect(describeRedis(s)).toBe('Sentinel primary "sb-primary" via 10.0.0.1:26379,10.0.0.2');
  });

  it('should open a cluster client with the role options on every node connection', () => {
    const s: RedisSettings = {
      ...base,
      url: 'redis://:cluster-pass@ignored:1',
      clusterNodes: ['127.0.0.1:7000', '127.0.0.1:7001'],
    };
    expect(topologyOf(s)).toBe('cluster');
    const cmd = open(s) as Cluster;
    expect(cmd).toBeInstanceOf(Cluster);
    expect(cmd.options).toMatchObject({
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      lazyConnect: true,
      redisOptions: { password: 'cluster-pass', commandTimeout: 700, maxRetriesPerRequest: 1 },
    });
    const queue = open(s, 'queue') as Cluster;
    expect(queue.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null });
    expect(queue.options.enableOfflineQueue).not.toBe(false);
  });

  it('should refuse a database number on a cluster', () => {
    expect(() => open({ ...base, url: 'redis://h:1/4', clusterNodes: ['a:1'] })).toThrow(
      /only database 0/,
    );
  });
});
