import { constants, watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** One auth file's name and raw text. */
export interface AuthFileText {
  name: string;
  text: string;
}

/**
 * Where auth files live durably when the auth dir is only a mirror (`config-store: redis`): the
 * store reads fresh, writes compare-and-set, and mirrors each write into the dir itself.
 */
export interface AuthFileBackend {
  /** Every auth file as this process last applied it. */
  authFiles(): AuthFileText[];
  /** One file with its store version, fresh. */
  readAuth(name: string): Promise<{ text: string; version: number } | undefined>;
  /** Write; with `baseVersion`, only while the stored file is at that version (0: absent). */
  putAuth(
    name: string,
    text: string,
    baseVersion?: number,
  ): Promise<{ ok: true; version: number } | { ok: false; currentVersion: number }>;
  /** Delete; false when there was no such file. */
  deleteAuth(name: string): Promise<boolean>;
}

/** The outcome of `AuthDirRepository.update`. */
export type AuthFileUpdate = 'written' | 'unchanged' | 'missing';

/** How often `update` re-applies an edit when another writer got in first. */
const UPDATE_ATTEMPTS = 8;

function notFound(name: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`auth file not found: ${name}`);
  err.code = 'ENOENT';
  return err;
}

/** Options of the auth-dir repository. */
export interface AuthDirOptions {
  /** Quiet period before a burst of file events becomes one change notification. */
  debounceMs?: number;
  /** Period of the polling fallback used when fs.watch is unavailable. */
  pollMs?: number;
  /** Use polling even when fs.watch works (network filesystems, tests). */
  forcePolling?: boolean;
}

// Letters, digits and . _ - @ + only: covers every name CLIProxyAPI writes
// (`gemini-user@example.com-project.json`, `codex-<hash>-user@x.com-plus.json`).
const SAFE_NAME = /^[A-Za-z0-9@+._-]+\.json$/i;

/**
 * Validate an auth-file name: a plain `.json` file name inside the auth dir — no `..`, no `/`
 * or `\`, no NUL, no leading dot. Throws with the reason; returns the name.
 */
export function validateAuthFileName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('auth file name is empty');
  if (name.length > 255) throw new Error('auth file name is longer than 255 characters');
  if (name.includes('\0')) throw new Error('auth file name contains a NUL character');
  if (name.includes('/') || name.includes('\\'))
    throw new Error(`auth file name must not contain a path separator: ${name}`);
  if (name.includes('..')) throw new Error(`auth file name must not contain "..": ${name}`);
  if (name.startsWith('.')) throw new Error(`auth file name must not start with a dot: ${name}`);
  if (!name.toLowerCase().endsWith('.json'))
    throw new Error(`auth file name must end in .json: ${name}`);
  if (!SAFE_NAME.test(name))
    throw new Error(`auth file name has characters other than letters, digits and @+._-: ${name}`);
  return name;
}

/** Expand a leading `~` to the home directory and make the path absolute. */
export function expandAuthDir(dir: string, home: string = homedir()): string {
  const d = dir.trim();
  if (d === '~') return home;
  if (d.startsWith('~/') || d.startsWith('~\\')) return join(home, d.slice(2));
  return resolve(d);
}

function isJsonFile(name: string): boolean {
  return name.toLowerCase().endsWith('.json') && !name.startsWith('.');
}

/**
 * The auth dir on disk: list and read the JSON auth files, watch for changes, and write files
 * atomically (temp file + fsync + rename, mode 0600) for the worker's token refresh. With a
 * `backend` (the Redis config store) the dir is a mirror: reads of content and every write go
 * to the backend, which keeps the dir in step.
 */
export class AuthDirRepository {
  readonly dir: string;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly forcePolling: boolean;

  constructor(
    dir: string,
    opts: AuthDirOptions = {},
    private readonly backend?: AuthFileBackend,
  ) {
    this.dir = expandAuthDir(dir);
    this.debounceMs = opts.debounceMs ?? 100;
    this.pollMs = opts.pollMs ?? 2000;
    this.forcePolling = opts.forcePolling ?? false;
  }

  /** Create the directory (mode 0700) if it does not exist. */
  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Names of the `.json` files in the dir, sorted; empty when the dir does not exist. */
  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && isJsonFile(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** True when the files live in the config store and this dir only mirrors them. */
  get storeBacked(): boolean {
    return this.backend !== undefined;
  }

  /** Read one auth file (fresh from the store when there is one). */
  async read(name: string): Promise<string> {
    validateAuthFileName(name);
    if (this.backend) {
      const found = await this.backend.readAuth(name);
      if (!found) throw notFound(name);
      return found.text;
    }
    return readFile(join(this.dir, name), 'utf8');
  }

  /**
   * Read-modify-write one file: `edit` gets the current text and returns the new one (undefined
   * leaves it alone). With the store, the write is a compare-and-set and a lost race re-runs
   * `edit` on the fresh text, so a concurrent change is merged, never overwritten. Symlinks are
   * never followed.
   */
  async update(name: string, edit: (text: string) => string | undefined): Promise<AuthFileUpdate> {
    validateAuthFileName(name);
    const backend = this.backend;
    if (!backend) {
      const text = await this.readNoFollow(name);
      if (text === undefined) return 'missing';
      const next = edit(text);
      if (next === undefined || next === text) return 'unchanged';
      await this.writeAtomic(name, next);
      return 'written';
    }
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const found = await backend.readAuth(name);
      if (!found) return 'missing';
      const next = edit(found.text);
      if (next === undefined || next === found.text) return 'unchanged';
      const put = await backend.putAuth(name, next, found.version);
      if (put.ok) return 'written';
      if (put.currentVersion === 0) return 'missing'; // deleted meanwhile
    }
    throw new Error(`${name} kept changing under this edit (${UPDATE_ATTEMPTS} tries); try again`);
  }

  /** Read every auth file; files that vanish or cannot be read between list and read are skipped. */
  async readAll(): Promise<AuthFileText[]> {
    if (this.backend) return this.backend.authFiles();
    const names = await this.list();
    const out = await Promise.all(
      names.map(async (name) => {
        try {
          return { name, text: await readFile(join(this.dir, name), 'utf8') };
        } catch {
          return undefined;
        }
      }),
    );
    return out.filter((f): f is AuthFileText => f !== undefined);
  }

  /**
   * Write an auth file atomically: a temp file in the same dir (mode 0600), fsync, rename over
   * the target, fsync the dir. Readers see the old or the new file, never half of one.
   */
  async writeAtomic(name: string, json: unknown): Promise<void> {
    validateAuthFileName(name);
    const body = typeof json === 'string' ? json : `${JSON.stringify(json, null, 2)}\n`;
    if (this.backend) {
      await this.backend.putAuth(name, body);
      return;
    }
    await this.ensureDir();
    const target = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(body, 'utf8');
      await fh.chmod(0o600); // the umask may have narrowed it further; never widened
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    try {
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await this.syncDir();
  }

  /** Delete an auth file (missing is not an error); true when there was one. */
  async remove(name: string): Promise<boolean> {
    validateAuthFileName(name);
    if (this.backend) return this.backend.deleteAuth(name);
    try {
      await unlink(join(this.dir, name));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return false;
    }
  }

  /**
   * Call `onChange` once per burst of changes (debounced). Uses fs.watch, and polling of the
   * listing (names, sizes, mtimes) when fs.watch is unavailable or fails. Returns a stop function.
   */
  watch(onChange: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let watcher: FSWatcher | undefined;
    let poller: NodeJS.Timeout | undefined;

    const fire = () => {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopped) onChange();
      }, this.debounceMs);
    };

    const startPolling = () => {
      if (poller || stopped) return;
      let last: string | undefined;
      const tick = async () => {
        const sig = await this.signature();
        if (last !== undefined && sig !== last) fire();
        last = sig;
      };
      void tick();
      poller = setInterval(() => void tick(), this.pollMs);
      poller.unref();
    };

    if (!this.forcePolling) {
      try {
        watcher = watch(this.dir, { persistent: false }, (_event, file) => {
          // Our own temp files come and go during writeAtomic; only the rename matters.
          if (file && !isJsonFile(file.toString())) return;
          fire();
        });
        watcher.on('error', () => {
          watcher?.close();
          watcher = undefined;
          startPolling();
        });
      } catch {
        watcher = undefined;
      }
    }
    if (!watcher) startPolling();

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (poller) clearInterval(poller);
      watcher?.close();
    };
  }

  /** A regular file's text without following a symlink; undefined when absent. */
  private async readNoFollow(name: string): Promise<string | undefined> {
    let fh;
    try {
      fh = await open(join(this.dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    try {
      if (!(await fh.stat()).isFile()) return undefined;
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  }

  /** Names, sizes and mtimes of the JSON files: changes when any file is added, removed or edited. */
  private async signature(): Promise<string> {
    try {
      const names = await this.list();
      const parts = await Promise.all(
        names.map(async (n) => {
          try {
            const s = await stat(join(this.dir, n));
            return `${n}:${s.size}:${s.mtimeMs}`;
          } catch {
            return `${n}:gone`;
          }
        }),
      );
      return parts.join('|');
    } catch {
      return 'unreadable';
    }
  }

  private async syncDir(): Promise<void> {
    // Make the rename durable; some platforms cannot open a directory, which is fine to skip.
    try {
      const dh = await open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      // best effort
    }
  }
}
