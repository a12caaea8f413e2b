#!/usr/bin/env node
// `npm run test:clients`: make sure the pinned coding CLIs (test/clients/clients.json) are
// installed in a cache outside the repository, then run the client tier (test/clients/*.client-spec.ts)
// with jest, telling it where each CLI lives. See docs/testing.md, "Real clients".
//
//   node scripts/test-clients.mjs [--install-only] [jest args...]
//
// The cache is $SWITCHBOARD_CLIENTS_DIR, else $XDG_CACHE_HOME/switchboard/clients, else
// ~/.cache/switchboard/clients; one directory per package and version. A directory that holds a
// finished install is used as it is, without asking the registry (offline runs work once the
// cache is warm). A missing one is installed with npm (registry only) into a temp directory,
// checked (`<bin> --version` must name the pinned version) and renamed into place.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinsFile = join(root, 'test', 'clients', 'clients.json');
const MARKER = '.switchboard-install.json';

function cacheRoot() {
  if (process.env.SWITCHBOARD_CLIENTS_DIR) return process.env.SWITCHBOARD_CLIENTS_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'switchboard', 'clients');
}

/** `<cache>/<id>-<version>`: one finished install per pinned version. */
function installDir(cache, id, pin) {
  return join(cache, `${id}-${pin.version.replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

function binPath(dir, pin) {
  return join(dir, 'node_modules', '.bin', pin.bin);
}

function isInstalled(dir, pin) {
  try {
    const m = JSON.parse(readFileSync(join(dir, MARKER), 'utf8'));
    return m.package === pin.package && m.version === pin.version && existsSync(binPath(dir, pin));
  } catch {
    return false;
  }
}

/** `<bin> --version`, with a throwaway HOME so nothing is written to the user's. */
function versionOf(bin, home) {
  const out = spawnSync(bin, ['--version'], {
    env: { PATH: process.env.PATH, HOME: home, AMP_SKIP_UPDATE_CHECK: '1', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.trim();
}

function install(cache, id, pin) {
  const dir = installDir(cache, id, pin);
  if (isInstalled(dir, pin)) return dir;
  const spec = `${pin.package}@${pin.version}`;
  console.log(`test:clients: installing ${spec} into ${dir}`);
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${id}-`));
  const home = mkdtempSync(join(tmpdir(), 'sb-clients-home-'));
  try {
    writeFileSync(join(tmp, 'package.json'), '{"private":true}\n');
    // Install scripts stay off (npm 11 skips them anyway); the ones that matter are run below.
    const npm = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        tmp,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        spec,
      ],
      { stdio: 'inherit' },
    );
    if (npm.status !== 0) {
      throw new Error(
        `npm could not install ${spec} (is the npm registry reachable? A warm cache in ${cache} needs none)`,
      );
    }
    if (pin.postinstall) {
      // Claude Code and Amp ship their native binary in a platform package; this script puts
      // it in place of the bin stub (what their postinstall does when scripts are allowed).
      const script = join(tmp, pin.postinstall);
      execFileSync(process.execPath, [script], { cwd: dirname(script), stdio: 'inherit' });
    }
    const seen = versionOf(binPath(tmp, pin), home);
    if (!seen.includes(pin.version)) {
      throw new Error(`${spec}: \`${pin.bin} --version\` printed "${seen}"`);
    }
    writeFileSync(
      join(tmp, MARKER),
      JSON.stringify({ package: pin.package, version: pin.version }),
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function main() {
  const args = process.argv.slice(2);
  const installOnly = args.includes('--install-only');
  const jestArgs = args.filter((a) => a !== '--install-only');
  const pins = JSON.parse(readFileSync(pinsFile, 'utf8'));
  const cache = cacheRoot();
  const clients = {};
  for (const [id, pin] of Object.entries(pins)) {
    const dir = install(cache, id, pin);
    clients[id] = { ...pin, dir, binPath: binPath(dir, pin) };
  }
  console.log(
    `test:clients: ${Object.entries(clients)
      .map(([id, c]) => `${id} ${c.version}`)
      .join(', ')} (cache ${cache})`,
  );
  if (installOnly) return 0;
  const jest = spawnSync(
    join(root, 'node_modules', '.bin', 'jest'),
    ['-c', join(root, 'test', 'clients', 'jest.config.js'), '--ci', ...jestArgs],
    { cwd: root, stdio: 'inherit', env: { ...process.env, SB_CLIENTS: JSON.stringify(clients) } },
  );
  return jest.status ?? 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`test:clients: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
