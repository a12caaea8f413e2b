import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a CLI run ended. */
export interface CliResult {
  /** Exit code, or the signal name. */
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A place for one CLI run: an isolated HOME and a working directory with a file to read. */
export interface Sandbox {
  readonly home: string;
  readonly work: string;
  /** Absolute path of the file the tool-loop rows make the CLI read. */
  readonly noteFile: string;
  /** Its content, which only a tool run can bring into the conversation. */
  readonly secret: string;
  cleanup(): void;
}

/** A fresh HOME and work dir; the note file holds `secret`. */
export function makeSandbox(secret: string): Sandbox {
  const base = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  const home = join(base, 'home');
  const work = join(base, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  const noteFile = join(work, 'note.txt');
  writeFileSync(noteFile, `${secret}\n`);
  return {
    home,
    work,
    noteFile,
    secret,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/**
 * The environment a CLI gets: nothing inherited but PATH (node, git, a shell), so neither the
 * developer's keys nor their config leak in; HOME is the sandbox's.
 */
export function isolatedEnv(home: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    USER: 'switchboard-test',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    TMPDIR: tmpdir(),
    ...extra,
  };
}

/**
 * Run a CLI to the end (stdin closed) without blocking the event loop, killing its whole
 * process group when `timeoutMs` passes.
 */
export function runCli(
  bin: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[test: killed after ${opts.timeoutMs ?? 120_000} ms]`;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A CLI run's output, for an assertion message. */
export function describeRun(r: CliResult): string {
  const cut = (s: string) => (s.length > 4000 ? `…${s.slice(-4000)}` : s);
  return `exit ${r.code} after ${r.ms} ms\n--- stdout\n${cut(r.stdout)}\n--- stderr\n${cut(r.stderr)}`;
}
