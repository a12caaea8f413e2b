// One Redis for the whole jest run. testcontainers when a Docker engine answers, otherwise the
// system redis-server on a free loopback port in a temp dir. REDIS_URL set by the caller wins.
// SB_TEST_REDIS=cluster (npm run test:cluster) starts a Redis Cluster of three primaries
// instead and sets REDIS_CLUSTER_NODES, which the apps and test/utils/env.ts honour.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function dockerAnswers() {
  if (process.env.SB_TEST_NO_DOCKER) return false;
  const sock = process.env.DOCKER_HOST || '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && !fs.existsSync(sock)) return false;
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function waitForPing(port, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', () => resolve(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

function redisServerBinary() {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p));
}

function startServer(bin, port, dir, extra = []) {
  return spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      ...extra,
    ],
    { stdio: 'ignore', detached: false },
  );
}

function clusterOk(port) {
  try {
    const out = execFileSync('redis-cli', ['-p', String(port), 'cluster', 'info'], {
      timeout: 5000,
    }).toString();
    return /cluster_state:ok/.test(out);
  } catch {
    return false;
  }
}

/** Three primaries joined with `redis-cli --cluster create` (no replicas: a test cluster). */
async function startCluster() {
  const bin = redisServerBinary();
  if (!bin)
    throw new Error('SB_TEST_REDIS=cluster needs redis-server: `apt-get install -y redis-server`');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-test-cluster-'));
  const ports = [];
  const children = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const nodeDir = path.join(dir, String(port));
    fs.mkdirSync(nodeDir);
    ports.push(port);
    children.push(
      startServer(bin, port, nodeDir, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(nodeDir, 'nodes.conf'),
        '--cluster-node-timeout',
        '2000',
      ]),
    );
  }
  globalThis.__SB_REDIS_CHILDREN__ = children;
  globalThis.__SB_REDIS_DIR__ = dir;
  for (const port of ports) await waitForPing(port, 10000);
  execFileSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { stdio: 'ignore', timeout: 30000 },
  );
  const end = Date.now() + 20000;
  while (!ports.every(clusterOk)) {
    if (Date.now() > end) throw new Error('the test Redis Cluster did not reach cluster_state:ok');
    await new Promise((r) => setTimeout(r, 100));
  }
  process.env.REDIS_CLUSTER_NODES = ports.map((p) => `127.0.0.1:${p}`).join(',');
  process.env.REDIS_URL = `redis://127.0.0.1:${ports[0]}`;
  process.env.SB_TEST_REDIS_BIN = bin;
}

module.exports = async function globalSetup() {
  if (process.env.SB_TEST_REDIS === 'cluster') {
    if (!process.env.REDIS_CLUSTER_NODES) await startCluster();
    return;
  }
  if (process.env.REDIS_URL) return;
  if (dockerAnswers()) {
    const { GenericContainer } = require('testcontainers');
    const container = await new GenericContainer('redis:7-bookworm').withExposedPorts(6379).start();
    globalThis.__SB_REDIS_CONTAINER__ = container;
    process.env.REDIS_URL = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    return;
  }
  const bin = redisServerBinary();
  if (!bin) {
    throw new Error(
      'Tests need Redis: install it with `apt-get install -y redis-server`, or set REDIS_URL, or run a Docker engine.',
    );
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-test-redis-'));
  const child = startServer(bin, port, dir);
  globalThis.__SB_REDIS_CHILD__ = child;
  globalThis.__SB_REDIS_DIR__ = dir;
  await waitForPing(port, 10000);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  process.env.SB_TEST_REDIS_BIN = bin;
};
