import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@test/utils/child-app';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

/** Where the image puts the project (Dockerfile WORKDIR of the last stage). */
const APP_ROOT = '/app';

/** Map a path inside the image to the built project on this machine. */
function inProject(containerPath: string): string {
  return join(
    REPO_ROOT,
    containerPath.startsWith(APP_ROOT) ? containerPath.slice(APP_ROOT.length) : containerPath,
  );
}

describe('docker-compose.yml and Dockerfile match the built project', () => {
  const { redis, gateway, worker } = compose.services;

  it('should run redis with AOF on a named volume and a redis-cli healthcheck', () => {
    expect(redis.image).toBe('redis:7-bookworm');
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(redis.volumes?.[0]).toMatch(/^redis-data:\/data$/);
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it.each(['gateway', 'worker'])(
    'should give %s a command and healthcheck that exist in dist/',
    (name) => {
      const svc = compose.services[name];
      expect(svc.command?.[0]).toBe('node');
      expect(existsSync(join(REPO_ROOT, svc.command![1]))).toBe(true);
      const test = svc.healthcheck!.test;
      expect(test[0]).toBe('CMD');
      expect(test[1]).toBe('node');
      expect(existsSync(join(REPO_ROOT, test[2]))).toBe(true);
      // podman-compose mangles exec healthchecks with spaces or quotes: keep them plain.
      for (const arg of test) expect(arg).not.toMatch(/[\s'"]/);
      expect(svc.depends_on?.redis.condition).toBe('service_healthy');
      expect(svc.restart).toBe('unless-stopped');
      expect(svc.environment?.REDIS_URL).toBe('redis://redis:6379');
    },
  );

  it('should publish the ports the processes listen on', () => {
    const gwPort = gateway.environment!.PORT;
    expect(gateway.ports?.some((p) => p.endsWith(`:${gwPort}`))).toBe(true);
    const wPort = worker.environment!.WORKER_PORT;
    expect(worker.ports?.some((p) => p.endsWith(`:${wPort}`))).toBe(true);
    // The healthchecks read the same env the processes do (PORT / WORKER_PORT).
    expect(readFileSync(join(REPO_ROOT, 'apps/gateway/src/healthcheck.ts'), 'utf8')).toContain(
      'process.env.PORT',
    );
    expect(readFileSync(join(REPO_ROOT, 'apps/worker/src/healthcheck.ts'), 'utf8')).toContain(
      'process.env.WORKER_PORT',
    );
  });

  it('should mount the config and auth dirs where the env points', () => {
    for (const svc of [gateway, worker]) {
      const mounts = (svc.volumes ?? []).map((v) => v.split(':'));
      const targets = mounts.map((m) => m[1]);
      const configDir = svc.environment!.CONFIG_PATH.replace(/\/[^/]+$/, '');
      expect(targets).toContain(configDir);
      expect(targets).toContain(svc.environment!.AUTH_DIR);
      for (const [src] of mounts) expect(src.startsWith('./')).toBe(true);
    }
  });

  it('should build an image whose COPY sources, CMD and HEALTHCHECK exist', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS runtime$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      const parts = m[1].split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) expect(existsSync(join(REPO_ROOT, src))).toBe(true);
    }
    const cmd = /^CMD \["node", "([^"]+)"\]$/m.exec(dockerfile);
    expect(cmd && existsSync(inProject(`${APP_ROOT}/${cmd[1]}`))).toBe(true);
    const hc = /CMD \["node", "([^"]+healthcheck\.js)"\]/.exec(dockerfile);
    expect(hc && existsSync(join(REPO_ROOT, hc[1]))).toBe(true);
    expect(gateway.build).toBe('.');
    expect(worker.image).toBe(gateway.image);
  });
});
