import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyEnvOverrides, nestLogLevels, readRuntimeEnv } from '@app/config/config.env';
import { parseConfig } from '@app/config/config.loader';
import type { AppConfig } from '@app/config/config.schema';

function load(text = ''): Readonly<AppConfig> {
  const r = parseConfig(text);
  if (!r.ok) throw new Error('bad fixture');
  return r.config;
}

describe(readRuntimeEnv.name, () => {
  it('should default to ./config.yaml, ./data and info', () => {
    expect(readRuntimeEnv({})).toEqual({
      configPath: resolve('config.yaml'),
      dataDir: resolve('data'),
      logLevel: 'info',
    });
  });

  it('should take CONFIG_PATH, DATA_DIR and LOG_LEVEL from the environment', () => {
    const sut = readRuntimeEnv({
      CONFIG_PATH: '/etc/sb/config.yaml',
      DATA_DIR: '~/sb-data',
      LOG_LEVEL: 'DEBUG',
    });
    expect(sut).toEqual({
      configPath: '/etc/sb/config.yaml',
      dataDir: join(homedir(), 'sb-data'),
      logLevel: 'debug',
    });
  });

  it('should ignore empty values and map level aliases', () => {
    expect(readRuntimeEnv({ CONFIG_PATH: '', LOG_LEVEL: 'log' })).toMatchObject({
      configPath: resolve('config.yaml'),
      logLevel: 'info',
    });
    expect(readRuntimeEnv({ LOG_LEVEL: 'warning' }).logLevel).toBe('warn');
    expect(readRuntimeEnv({ LOG_LEVEL: 'chatty' }).logLevel).toBe('info');
  });
});

describe(nestLogLevels.name, () => {
  it('should enable the level and every more severe one', () => {
    expect(nestLogLevels('warn')).toEqual(['fatal', 'error', 'warn']);
    expect(nestLogLevels('info')).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(nestLogLevels('verbose')).toHaveLength(6);
  });
});

describe(applyEnvOverrides.name, () => {
  const base = load(
    'port: 9000\nauth-dir: ./auths\nredis:\n  url: redis://cfg:6379\n  key-prefix: "x:"\n',
  );

  it('should return the same object when nothing is overridden', () => {
    expect(applyEnvOverrides(base, {})).toBe(base);
    expect(applyEnvOverrides(base, { PORT: '', REDIS_URL: ' ' })).toBe(base);
  });

  it('should apply PORT, AUTH_DIR and REDIS_URL', () => {
    const sut = applyEnvOverrides(base, {
      PORT: '18317',
      AUTH_DIR: '~/auths',
      REDIS_URL: 'redis://env:6380',
    });
    expect(sut.port).toBe(18317);
    expect(sut['auth-dir']).toBe(join(homedir(), 'auths'));
    expect(sut.redis.url).toBe('redis://env:6380');
    expect(sut.redis['key-prefix']).toBe('x:');
  });

  it('should leave the parsed config untouched and return a frozen copy', () => {
    const sut = applyEnvOverrides(base, { REDIS_URL: 'redis://env:6380' });
    expect(base.redis.url).toBe('redis://cfg:6379');
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.redis)).toBe(true);
    expect(sut.tls).toBe(base.tls);
  });

  it('should refuse an invalid PORT', () => {
    expect(() => applyEnvOverrides(base, { PORT: 'http' })).toThrow(/PORT/);
    expect(() => applyEnvOverrides(base, { PORT: '70000' })).toThrow(/PORT/);
  });

  it('should apply the Redis credentials, TLS CA, sentinels and cluster nodes', () => {
    const sut = applyEnvOverrides(base, {
      REDIS_USERNAME: 'sb',
      REDIS_PASSWORD: 'p@ss:word/with?chars',
      REDIS_TLS_CA: '~/ca.pem',
      REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'primary',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(sut.redis).toMatchObject({
      url: 'redis://cfg:6379',
      username: 'sb',
      password: 'p@ss:word/with?chars',
      'tls-ca': join(homedir(), 'ca.pem'),
      sentinels: ['10.0.0.1:26379', '10.0.0.2:26380', '[::1]:26381'],
      'sentinel-name': 'primary',
      'sentinel-password': 'sentinel-secret',
      'key-prefix': 'x:',
    });
    expect(applyEnvOverrides(base, { REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).redis).toMatchObject({
      'cluster-nodes': ['a:7000', 'b:7001'],
      sentinels: [],
    });
  });

  it('should add TRUSTED_PROXIES to trusted-proxies, host names included', () => {
    const withList = load('trusted-proxies: ["10.0.0.0/8"]\n');
    expect(
      applyEnvOverrides(withList, { TRUSTED_PROXIES: 'lb, 10.0.0.0/8,fd00::1' })['trusted-proxies'],
    ).toEqual(['10.0.0.0/8', 'lb', 'fd00::1']);
    expect(() => applyEnvOverrides(withList, { TRUSTED_PROXIES: 'lb,not a host' })).toThrow(
      /TRUSTED_PROXIES must list .*"not a host"/,
    );
  });

  it('should refuse a malformed node list, and sentinels together with cluster nodes', () => {
    expect(() => applyEnvOverrides(base, { REDIS_SENTINELS: 'host:port' })).toThrow(
      /REDIS_SENTINELS must be a comma-separated list of host:port, got "host:port"/,
    );
    expect(() => applyEnvOverrides(base, { REDIS_CLUSTER_NODES: 'a:1:2' })).toThrow(
      /REDIS_CLUSTER_NODES/,
    );
    expect(() =>
      applyEnvOverrides(base, { REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' }),
    ).toThrow(/either sentinels .* or cluster nodes/);
  });
});
