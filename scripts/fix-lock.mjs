#!/usr/bin/env node
// npm run fix-lock — run after any `npm install` on these machines.
//
// The registry here serves only the packages for this platform, so npm writes a lockfile without
// the other platforms' optional binaries (@swc/core-darwin-arm64, msgpackr-extract-win32-x64, …),
// and `npm ci` then rejects the lockfile as out of sync. This adds the missing entries as
// optional, platform-restricted packages (os/cpu/libc read from the package name), exactly what a
// lockfile written on a machine with the full registry would say; `npm ci` skips them here and
// installs them on the platforms they are for.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockPath = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openharmony',
  'netbsd',
  'openbsd',
  'sunos',
  'aix',
];
const CPU = [
  'arm64',
  'x64',
  'ia32',
  'arm',
  'ppc64',
  's390x',
  'riscv64',
  'loong64',
  'mips64el',
  'wasm32',
];

/** os/cpu/libc from a platform package name such as `@swc/core-linux-arm-gnueabihf`. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return undefined;
  const libc =
    parts.includes('musl') || parts.includes('musleabihf')
      ? 'musl'
      : os === 'linux'
        ? 'glibc'
        : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

/** Where npm would look for `dep` required from the package at `from` (node_modules path). */
function resolvePath(from, dep) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  if (!path || !entry.optionalDependencies) continue;
  for (const [dep, spec] of Object.entries(entry.optionalDependencies)) {
    if (resolvePath(path, dep)) continue;
    const platform = platformOf(dep);
    if (!platform) continue; // not a platform binary: leave npm's own judgement alone
    const version = String(spec).replace(/^[\^~=]/, '');
    const target = `node_modules/${dep}`;
    packages[target] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
      engines: entry.engines,
    };
    if (!packages[target].engines) delete packages[target].engines;
    added++;
  }
}

// Keep npm's ordering (sorted keys) so diffs stay small.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(`${lockPath}.tmp`, JSON.stringify(lock, null, 2) + '\n');
renameSync(`${lockPath}.tmp`, lockPath);
console.log(`fix-lock: added ${added} platform-specific optional entries`);
