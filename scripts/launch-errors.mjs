// Launch failures that happen before any app code runs (no build, no dependencies, a failed
// build), told as one line with the fix instead of Node's stack trace. Used by scripts/start.mjs
// and scripts/run-app.mjs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The missing-build message when `entry` (relative to `root`) is not there, else undefined. */
export function missingBuild(root, entry) {
  if (existsSync(join(root, entry))) return undefined;
  return (
    `${entry} is missing: nothing is built yet. Run \`npm run build\` first ` +
    '(or `npm start`, which builds when the sources changed)'
  );
}

/** One line with the fix for a known launch failure, or undefined. */
export function explainLaunchError(err) {
  if (err && typeof err === 'object' && 'status' in err && Array.isArray(err.output)) {
    // execFileSync of the build: its own errors went to stderr just above.
    return `the build failed (exit ${err.status}; its errors are above): fix them, then run the command again`;
  }
  const code = err?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    const message = String(err.message ?? '');
    const pkg = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    if (pkg && !pkg.startsWith('/') && !pkg.startsWith('.')) {
      return `the dependency ${pkg} is not installed: run \`npm ci\` in this directory, then start again`;
    }
    if (/[\\/]dist[\\/]/.test(message)) {
      return 'the build is incomplete (a file under dist/ is missing): run `npm run build`, then start again';
    }
  }
  return undefined;
}
