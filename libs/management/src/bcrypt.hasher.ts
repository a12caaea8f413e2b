import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { truncates } from 'bcryptjs';
import { Worker } from 'node:worker_threads';

/** bcrypt's work factor for hashes this gateway writes (CLIProxyAPI uses Go's default, 10). */
const COST = 10;

/** How long shutdown waits for bcrypt jobs already handed to the thread. */
const SHUTDOWN_WAIT_MS = 2000;

/** One job for the bcrypt thread. */
type BcryptJob =
  | { id: number; op: 'compare'; plain: string; hashed: string }
  | { id: number; op: 'hash'; plain: string; cost: number };

/** The bcrypt thread's answer to one job. */
interface BcryptAnswer {
  id: number;
  result?: boolean | string;
  error?: string;
}

// The thread runs bcryptjs synchronously: it has nothing else to do, and the gateway's event
// loop never waits for it. Plain JavaScript (no TypeScript), so it runs from src/ and dist/ alike.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'compare'
      ? bcrypt.compareSync(job.plain, job.hashed)
      : bcrypt.hashSync(job.plain, job.cost);
    parentPort.postMessage({ id: job.id, result });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve: (value: boolean | string) => void;
  reject: (err: Error) => void;
}

/** A started thread and the jobs it has not answered yet. */
interface BcryptThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * bcrypt behind a class, run on a worker thread: a check costs ~70 ms of CPU (cost 10) and
 * bcryptjs would otherwise hold the event loop for up to 100 ms at a time, stalling every proxy
 * request of the replica. One thread, started on first use, checks one key at a time; an idle
 * thread does not keep the process alive, and a dead one is replaced on the next check.
 */
@Injectable()
export class BcryptHasher implements OnModuleDestroy {
  private thread: BcryptThread | undefined;
  private nextId = 1;

  /** True when `plain` matches the bcrypt `hashed`. */
  async compare(plain: string, hashed: string): Promise<boolean> {
    return (await this.run({ id: 0, op: 'compare', plain, hashed })) === true;
  }

  /** A new salted bcrypt hash of `plain`. */
  async hash(plain: string): Promise<string> {
    return String(await this.run({ id: 0, op: 'hash', plain, cost: COST }));
  }

  /** True when bcrypt would ignore part of `plain` (it reads only the first 72 bytes). */
  truncates(plain: string): boolean {
    return truncates(plain);
  }

  /** Let the checks and hashes already asked for finish (at most 2 s), then stop the thread. */
  async onModuleDestroy(): Promise<void> {
    const t = this.thread;
    this.thread = undefined;
    if (!t) return;
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    while (t.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await t.worker.terminate();
  }

  private run(job: BcryptJob): Promise<boolean | string> {
    const t = this.thread ?? (this.thread = this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while it owes an answer: an idle thread never keeps the process alive.
      if (t.pending.size === 0) t.worker.ref();
      t.pending.set(id, { resolve, reject });
      t.worker.postMessage({ ...job, id });
    });
  }

  private start(): BcryptThread {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { bcryptjs: require.resolve('bcryptjs') },
      // bcrypt needs little memory; keep the thread's heap small.
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    worker.unref();
    const t: BcryptThread = { worker, pending: new Map() };
    worker.on('message', (answer: BcryptAnswer) => {
      const p = t.pending.get(answer.id);
      if (!p) return;
      t.pending.delete(answer.id);
      if (t.pending.size === 0) worker.unref();
      if (answer.error !== undefined) p.reject(new Error(`bcrypt: ${answer.error}`));
      else p.resolve(answer.result ?? false);
    });
    const fail = (err: Error) => {
      if (this.thread === t) this.thread = undefined;
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bcrypt thread exited with code ${code}`)));
    return t;
  }
}
