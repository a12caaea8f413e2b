#!/usr/bin/env node
// Build: type-check and emit with tsc, rewrite path aliases, stamp build info.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('tsc-alias'), ['-p', 'tsconfig.build.json']);

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const info = {
  version: pkg.version,
  commit: process.env.BUILD_COMMIT || git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
  date: process.env.BUILD_DATE || new Date().toISOString(),
};
mkdirSync(join(root, 'dist'), { recursive: true });
const target = join(root, 'dist', 'build-info.json');
writeFileSync(`${target}.tmp`, JSON.stringify(info, null, 2) + '\n');
renameSync(`${target}.tmp`, target);
console.log(`built switchboard ${info.version} (${info.commit})`);

// The web panel (web/ → dist/web/, served at /management.html): type-check it (its own
// tsconfig: DOM, Preact JSX) and bundle it with Vite.
run(bin('tsc'), ['-p', 'web/tsconfig.json', '--noEmit']);
run(bin('vite'), ['build', '--config', 'web/vite.config.mjs']);
console.log('built the web panel into dist/web');
