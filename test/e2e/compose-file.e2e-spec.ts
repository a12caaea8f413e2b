import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '@app/config';
import { REPO_ROOT } from '@test/utils/child-app';

interface Service {
  image?: string;
  stop_grace_period?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const readCompose = (path: string): ComposeFile =>
  parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as ComposeFile;

const compose = readCompose('docker-compose.yml');
const composeOverride = readCompose('docker-compose.override.yml');
const replicas = readCompose('deploy/compose/replicas.yml');
const lb = readCompose('deploy/compose/lb.yml');
const testLb = readCompose('deploy/compose/test-lb.yml');
const haproxyCfg = readFileSync(join(REPO_ROOT, 'deploy/compose/haproxy.cfg'), 'utf8');
const testOverride = readCompose('deploy/compose/test.yml');
const firstRunOverride = readCompose('deploy/compose/test-first-run.yml');
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

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
    // Off in the official image already; other redis-server builds would refuse the gateway.
    expect(redis.command?.join(' ')).toContain('--protected-mode no');
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
      // The gateway's is a plain string run by /bin/sh: podman-compose 1.0.3 consumes a
      // list-form test of a scaled service (deploy/compose/lb.yml) while creating its first
      // replica. The worker's is a list (exec form), and podman-compose mangles an exec
      // healthcheck with spaces or quotes: keep its arguments plain.
      const raw = svc.healthcheck!.test;
      const test = typeof raw === 'string' ? ['CMD', ...raw.split(' ')] : raw;
      expect(typeof raw === 'string').toBe(name === 'gateway');
      expect(test[0]).toBe('CMD');
      expect(test[1]).toBe('node');
      expect(test).toHaveLength(3);
      expect(existsSync(join(REPO_ROOT, test[2]))).toBe(true);
      for (const arg of test) expect(arg).not.toMatch(/[\s'"]/);
      expect(svc.depends_on?.redis.condition).toBe('service_healthy');
      expect(svc.restart).toBe('unless-stopped');
      expect(svc.environment?.REDIS_URL).toBe('redis://redis:6379');
    },
  );

  it('should publish the ports the processes listen on', () => {
    const gwPort = gateway.environment!.PORT;
    // The gateway's in docker-compose.override.yml, which `docker compose up` reads by itself
    // and the load-balanced setup leaves out (its balancer publishes instead).
    expect(gateway.ports).toBeUndefined();
    expect(Object.keys(composeOverride.services)).toEqual(['gateway']);
    expect(composeOverride.services.gateway.ports).toEqual([
      `\${SWITCHBOARD_PORT:-8317}:${gwPort}`,
    ]);
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

  it('should start as root only for the entrypoint that fixes the mounts and drops to a user', () => {
    // No USER: the entrypoint needs root to chown the mounted dirs, then runs the app without it.
    expect(dockerfile).not.toMatch(/^USER /m);
    const entry = /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "([^"]+)"\]$/m.exec(dockerfile);
    expect(entry?.[1]).toBe('/usr/local/bin/switchboard-entrypoint');
    const copy = /^COPY (\S+) \/usr\/local\/bin\/switchboard-entrypoint$/m.exec(dockerfile);
    const script = join(REPO_ROOT, copy![1]);
    expect(statSync(script).mode & 0o111).not.toBe(0);
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^#!\/bin\/sh\n/);
    expect(text).toMatch(/exec setpriv --reuid="\$uid" --regid="\$gid" --clear-groups /);
    // Root-owned mounts go to `node`; others keep their owner, who then runs the process.
    expect(text).toMatch(/uid=\$\(id -u node\)/);
    expect(text).toMatch(/exit 78/);
  });

  it('should pass the commit to the image as a build arg', () => {
    expect(gateway.build).toEqual({
      context: '.',
      args: { BUILD_COMMIT: '${BUILD_COMMIT:-unknown}' },
    });
    expect(dockerfile).toMatch(/^ARG BUILD_COMMIT=unknown$/m);
    expect(dockerfile).toMatch(/BUILD_COMMIT="\$BUILD_COMMIT"/);
  });

  it("should show the README's Docker commands that test:compose runs", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const script = readFileSync(join(REPO_ROOT, 'scripts/test-compose.mjs'), 'utf8');
    const command = /const README_KEY_COMMAND = '([^']+)';/.exec(script)?.[1];
    expect(command).toBeDefined();
    expect(readme).toContain(`KEY=$(${command})`);
    expect(readme).toContain('curl -H "Authorization: Bearer $KEY" localhost:8317/status');
    expect(readme).toContain('mkdir -p config auths');
  });

  it('should build an image whose COPY sources, CMD and HEALTHCHECK exist', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS runtime$/m);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      const parts = m[1].split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) expect(existsSync(join(REPO_ROOT, src))).toBe(true);
    }
    const cmd = /^CMD \["node", "([^"]+)"\]$/m.exec(dockerfile);
    expect(cmd && existsSync(inProject(`${APP_ROOT}/${cmd[1]}`))).toBe(true);
    const hc = /CMD \["node", "([^"]+healthcheck\.js)"\]/.exec(dockerfile);
    expect(hc && existsSync(join(REPO_ROOT, hc[1]))).toBe(true);
    expect(worker.image).toBe(gateway.image);
  });

  it('should keep build context exclusions away from what the Dockerfile copies', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      m[1].split(/\s+/).slice(0, -1),
    );
    for (const src of sources) {
      const top = src.replace(/\/$/, '');
      expect(dockerignore).not.toContain(top);
      expect(dockerignore).not.toContain(top.split('/')[0]);
    }
  });
});

describe('deploy/compose overrides match docker-compose.yml', () => {
  const { gateway } = compose.services;
  const second = replicas.services['gateway-2'];

  it('should run the second replica exactly as the first, on its own published port', () => {
    expect(second.image).toBe(gateway.image);
    expect(second.command).toEqual(gateway.command);
    expect(second.environment).toEqual(gateway.environment);
    expect(second.volumes).toEqual(gateway.volumes);
    expect(second.healthcheck).toEqual(gateway.healthcheck);
    expect(second.depends_on?.redis.condition).toBe('service_healthy');
    expect(second.restart).toBe(gateway.restart);
    expect(second.ports).toEqual(['${SWITCHBOARD_PORT_2:-8319}:8317']);
  });

  it('should mount the test dir over every config and auth mount the stack has', () => {
    for (const name of ['gateway', 'gateway-2', 'worker']) {
      const targets = (testOverride.services[name].volumes ?? []).map((v) => v.split(':')[1]);
      const base = compose.services[name] ?? replicas.services[name];
      const baseTargets = (base.volumes ?? []).map((v) => v.split(':')[1]);
      expect(targets.sort()).toEqual(baseTargets.sort());
    }
  });

  it('should point the first-run override at the same mounts of the base stack only', () => {
    expect(Object.keys(firstRunOverride.services).sort()).toEqual(['gateway', 'worker']);
    for (const name of ['gateway', 'worker']) {
      const targets = (firstRunOverride.services[name].volumes ?? []).map((v) => v.split(':')[1]);
      const base = (compose.services[name].volumes ?? []).map((v) => v.split(':')[1]);
      expect(targets.sort()).toEqual(base.sort());
    }
  });

  it('should run the fake upstream from the image with a plain healthcheck that exists', () => {
    const fake = testOverride.services['fake-upstream'];
    expect(fake.image).toBe(gateway.image);
    expect(existsSync(join(REPO_ROOT, fake.command![1]))).toBe(true);
    const test = fake.healthcheck!.test;
    for (const arg of test) expect(arg).not.toMatch(/[\s'"]/);
    const mount = fake.volumes!.find((v) => v.split(':')[1] === test[2])!;
    expect(existsSync(join(REPO_ROOT, mount.split(':')[0]))).toBe(true);
  });

  it('should give the test a config the gateway accepts, pointing at the fake service', () => {
    const parsed = parseConfig(
      readFileSync(join(REPO_ROOT, 'deploy/compose/test.config.yaml'), 'utf8'),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.warnings).toEqual([]);
    const cfg = parsed.config;
    expect(cfg['api-keys']).toHaveLength(1);
    expect(cfg['remote-management']['allow-remote']).toBe(true);
    const fakeArgs = testOverride.services['fake-upstream'].command!;
    const fakePort = fakeArgs[fakeArgs.indexOf('--port') + 1];
    expect(cfg['openai-compatibility'][0]['base-url']).toBe(`http://fake-upstream:${fakePort}/v1`);
  });
});

describe('deploy/compose/lb.yml: gateway replicas behind HAProxy', () => {
  const { gateway } = compose.services;
  const balancer = lb.services.lb;
  const cfgLines = haproxyCfg.split('\n').map((l) => l.trim());

  it('should publish the balancer where the gateway would be, and scale the gateway', () => {
    expect(balancer.image).toBe('haproxy:2.6-bookworm');
    expect(balancer.ports).toEqual(composeOverride.services.gateway.ports);
    expect(balancer.volumes).toEqual([
      './deploy/compose/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    ]);
    expect(balancer.restart).toBe(gateway.restart);
    const scaled = lb.services.gateway as Service & { deploy?: { replicas?: string } };
    expect(scaled.deploy?.replicas).toBe('${SWITCHBOARD_GATEWAYS:-3}');
    expect(scaled.ports).toBeUndefined();
  });

  it('should trust the balancer by name and keep draining replicas serving until it notices', () => {
    const env = lb.services.gateway.environment!;
    expect(env.TRUSTED_PROXIES).toBe('lb');
    const delay = Number(env.SHUTDOWN_DELAY_MS);
    // Checked every `inter`, down after `fall` failures: the delay covers both, plus a margin.
    const server = cfgLines.find((l) => l.startsWith('default-server'))!;
    const inter = Number(/inter (\d+)s/.exec(server)![1]) * 1000;
    const fall = Number(/fall (\d+)/.exec(server)![1]);
    expect(delay).toBeGreaterThan(inter * fall);
    // The drain (15 s) and the delay fit in the gateway's stop grace period.
    expect(15_000 + delay).toBeLessThan(
      Number(/^(\d+)s$/.exec(String(gateway.stop_grace_period))![1]) * 1000,
    );
  });

  it('should health-check /readyz, find replicas through DNS, and never send a request twice', () => {
    expect(cfgLines).toContain('http-check send meth GET uri /readyz');
    expect(cfgLines).toContain('http-check expect status 200');
    expect(cfgLines).toContain('server-template gateway 1-32 gateway:8317');
    expect(cfgLines).toContain('parse-resolv-conf');
    expect(cfgLines).toContain('retry-on conn-failure');
    expect(cfgLines).toContain('http-request set-header X-Forwarded-For %[src]');
    // Nothing that would hold a stream back.
    expect(haproxyCfg).not.toMatch(/http-buffer-request|compression/);
  });

  it("should mount the test dir over the stack's config and auth mounts, and slow the fake's streams", () => {
    for (const name of ['gateway', 'worker']) {
      const targets = (testLb.services[name].volumes ?? []).map((v) => v.split(':')[1]);
      const base = (compose.services[name].volumes ?? []).map((v) => v.split(':')[1]);
      expect(targets.sort()).toEqual(base.sort());
    }
    const fakeArgs = testLb.services['fake-upstream'].command!;
    expect(Number(fakeArgs[fakeArgs.indexOf('--chunk-delay-ms') + 1])).toBeGreaterThan(0);
  });
});
