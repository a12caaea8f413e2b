// One Redis for the whole jest run. testcontainers when a Docker engine answers, otherwise the
// system redis-server on a free loopback port in a temp dir. REDIS_URL set by the caller wins.
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

module.exports = async function globalSetup() {
  if (process.env.REDIS_URL) return;
  if (dockerAnswers()) {
    const { GenericContainer } = require('testcontainers');
    const container = await new GenericContainer('redis:7-bookworm').withExposedPorts(6379).start();
    globalThis.__SB_REDIS_CONTAINER__ = container;
    process.env.REDIS_URL = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    return;
  }
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) =>
    fs.existsSync(p),
  );
  if (!bin) {
    throw new Error(
      'Tests need Redis: install it with `apt-get install -y redis-server`, or set REDIS_URL, or run a Docker engine.',
    );
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-test-redis-'));
  const child = spawn(
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
    ],
    { stdio: 'ignore', detached: false },
  );
  globalThis.__SB_REDIS_CHILD__ = child;
  globalThis.__SB_REDIS_DIR__ = dir;
  await waitForPing(port, 10000);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  process.env.SB_TEST_REDIS_BIN = bin;
};
