const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const child = globalThis.__SB_REDIS_CHILD__;
  if (child && child.exitCode === null) {
    await new Promise((resolve) => {
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
  if (globalThis.__SB_REDIS_DIR__)
    fs.rmSync(globalThis.__SB_REDIS_DIR__, { recursive: true, force: true });
  if (globalThis.__SB_REDIS_CONTAINER__) await globalThis.__SB_REDIS_CONTAINER__.stop();
};
