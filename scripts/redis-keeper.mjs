#!/usr/bin/env node
// npm start's redis-server, kept by this small process so Redis always stops after the members:
//   node scripts/redis-keeper.mjs <redis-server> [args…]
// The launcher (scripts/start.mjs) talks to it over IPC: it sends the members' pids whenever
// they change and SIGTERM when everything stops (after the members have drained). If the
// launcher dies instead, the channel closes: the keeper waits until every member it knows of
// has exited (they drain on their own when they lose the launcher), then stops redis-server.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';

/** Longest a member may take to drain after the launcher is gone (the worker's 30 s + margin). */
const MEMBERS_GONE_MS = 40_000;

const [bin, ...args] = process.argv.slice(2);
if (!bin) {
  process.stderr.write('usage: redis-keeper.mjs <redis-server> [args…]\n');
  process.exit(2);
}

// On Linux the kernel also stops redis-server if this keeper is killed outright.
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const [cmd, argv] = setpriv
  ? [setpriv, ['--pdeathsig', 'SIGTERM', '--', bin, ...args]]
  : [bin, args];
const redis = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'] });

let members = [];
let stopping = false;

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function stop() {
  if (stopping) return;
  stopping = true;
  redis.kill('SIGTERM');
}

redis.on('error', (err) => {
  process.stderr.write(`redis-keeper: ${err.message}\n`);
  process.exit(1);
});
redis.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

process.on('message', (msg) => {
  if (msg && Array.isArray(msg.members)) members = msg.members.filter(Number.isInteger);
});
process.on('SIGTERM', stop);
// A terminal's Ctrl-C is the launcher's business (this process has its own group anyway).
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  const deadline = Date.now() + MEMBERS_GONE_MS;
  const poll = setInterval(() => {
    if (members.some(alive) && Date.now() < deadline) return;
    clearInterval(poll);
    stop();
  }, 200);
});
