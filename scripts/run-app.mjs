#!/usr/bin/env node
// `npm run start:gateway` / `start:worker`: run one built app in this process, or say in one
// line what to do when there is no build (instead of Node's MODULE_NOT_FOUND stack trace).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainLaunchError, missingBuild } from './launch-errors.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = process.argv[2];
if (app !== 'gateway' && app !== 'worker') {
  process.stderr.write('usage: node scripts/run-app.mjs gateway|worker\n');
  process.exit(2);
}
const entry = join('dist', 'apps', app, 'src', 'main.js');
const missing = missingBuild(root, entry);
if (missing) {
  process.stderr.write(`[switchboard] ${missing}\n`);
  process.exit(1);
}
try {
  // The apps are CommonJS: require runs main.js as if node had been given it.
  createRequire(import.meta.url)(join(root, entry));
} catch (err) {
  const hint = explainLaunchError(err);
  process.stderr.write(`[switchboard] ${hint ?? err?.stack ?? err}\n`);
  process.exit(1);
}
