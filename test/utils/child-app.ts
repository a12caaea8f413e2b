import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** Path of a built entry point; specs that run child processes need `npm run build` first. */
export function distEntry(rel: string): string {
  const p = join(REPO_ROOT, 'dist', rel);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run build\` before this spec`);
  return p;
}

export interface ChildApp {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | string>;
}

/** Start a node script as a child process with its output captured. */
export function startNode(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): ChildApp {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, output: () => out, exited, stop };
}
