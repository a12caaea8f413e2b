#!/usr/bin/env node
// `npm run login -- --provider codex [--config path]`: sign an OAuth account in from a terminal
// (no browser needed on this machine). Builds first when the sources changed, then runs the
// compiled CLI (dist/apps/worker/src/login.js) with this terminal's stdin, stdout and stderr.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'apps', 'worker', 'src', 'login.js');
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

const stale =
  !existsSync(cli) ||
  !existsSync(stamp) ||
  ['apps', 'libs'].some(
    (d) => existsSync(join(root, d)) && newestMtime(join(root, d)) > statSync(stamp).mtimeMs,
  );
if (stale) {
  process.stderr.write('[switchboard] building (sources changed since the last build)…\n');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; just mirror its exit.
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
