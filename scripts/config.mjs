#!/usr/bin/env node
// `npm run config -- export|push|diff`: move config.yaml and the auth files between this host's
// files and the Redis config store (config-store: redis). Builds first when the sources changed,
// then runs the compiled CLI (dist/apps/worker/src/config-cli.js). In the container image, run
// `node dist/apps/worker/src/config-cli.js …` directly.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'apps', 'worker', 'src', 'config-cli.js');
const stamp = join(root, 'dist', 'build-info.json');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const sources = ['apps', 'libs'].filter((d) => existsSync(join(root, d)));
const stale =
  !existsSync(cli) ||
  !existsSync(stamp) ||
  sources.some((d) => newestMtime(join(root, d)) > statSync(stamp).mtimeMs);
if (stale && sources.length > 0) {
  process.stderr.write('[switchboard] building (sources changed since the last build)…\n');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
