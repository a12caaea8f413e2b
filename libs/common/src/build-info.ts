import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Version, commit and date of this build (written by scripts/build.mjs into dist/). */
export interface BuildInfo {
  version: string;
  commit: string;
  date: string;
}

let cachedRoot: string | undefined;

/** The directory holding package.json, found by walking up from this file (src and dist alike). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) return (cachedRoot = process.cwd());
    dir = up;
  }
}

let cached: BuildInfo | undefined;

/** Build info from dist/build-info.json, falling back to package.json when run from sources. */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = packageRoot();
  const built = join(root, 'dist', 'build-info.json');
  try {
    cached = JSON.parse(readFileSync(built, 'utf8')) as BuildInfo;
  } catch {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    cached = { version: pkg.version, commit: 'unknown', date: 'unknown' };
  }
  return cached;
}
