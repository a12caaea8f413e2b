const fs = require('node:fs');

function stop(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

module.exports = async function globalTeardown() {
  await Promise.all(
    [globalThis.__SB_REDIS_CHILD__, ...(globalThis.__SB_REDIS_CHILDREN__ ?? [])].map(stop),
  );
  if (globalThis.__SB_REDIS_DIR__)
    fs.rmSync(globalThis.__SB_REDIS_DIR__, { recursive: true, force: true });
  if (globalThis.__SB_REDIS_CONTAINER__) await globalThis.__SB_REDIS_CONTAINER__.stop();
};
