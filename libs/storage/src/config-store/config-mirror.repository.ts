import { constants, watch, type FSWatcher } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigRepository } from '@app/config';

/** A local auth file: name, text and change time. */
export interface LocalAuthFile {
  name: string;
  text: string;
  mtime: number;
}

// The names CLIProxyAPI writes: letters, digits and @+._- ending in .json, no leading dot. A
// name from the store that does not fit is never written (it could point outside the dir).
const SAFE_NAME = /^[A-Za-z0-9@+_-][A-Za-z0-9@+._-]*\.json$/i;

/** True for a plain auth-file name that may be written into the auth dir. */
export function isMirrorName(name: string): boolean {
  return name.length <= 255 && SAFE_NAME.test(name) && !name.includes('..');
}

function missing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

/** Mode of the mirror's files: owner read-only, so editors say so before a hand edit. */
export const MIRROR_FILE_MODE = 0o400;

/**
 * The local copies of the config store: config.yaml and the auth dir, written atomically
 * (temp file, fsync, rename; mode 0400 by default: copies, not the place to edit) with the
 * store's change time, read without following symlinks, and watched so hand edits are noticed.
 */
export class ConfigMirrorRepository {
  constructor(
    private readonly files: ConfigRepository,
    /** `npm run config -- export` writes 0600 files: they are the durable copies again. */
    private readonly mode = MIRROR_FILE_MODE,
  ) {}

  /** A file's text; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined> {
    return this.files.read(path);
  }

  /** Replace a file atomically and give it the store's change time. */
  async writeText(path: string, text: string, mtime?: number): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await this.files.writeAtomic(path, text, this.mode);
    if (mtime) await this.touch(path, mtime);
  }

  /**
   * Give files that already hold the store's text the mirror's mode (an imported config.yaml
   * keeps the mode it was created with otherwise). Missing files are skipped.
   */
  async protect(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        const s = await lstat(path);
        if (s.isFile() && (s.mode & 0o777) !== this.mode) await chmod(path, this.mode);
      } catch {
        // gone, or not ours to change: the next write gives it the mode
      }
    }
  }

  /** The regular `.json` files of the auth dir with their text (symlinks are not followed). */
  async readAuthDir(dir: string): Promise<LocalAuthFile[]> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(isMirrorName).sort();
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
    const out: LocalAuthFile[] = [];
    for (const name of names) {
      const file = await this.readAuth(dir, name);
      if (file) out.push(file);
    }
    return out;
  }

  /** One auth file; undefined when absent, not a regular file, or a symlink. */
  async readAuth(dir: string, name: string): Promise<LocalAuthFile | undefined> {
    let fh;
    try {
      fh = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
    try {
      const s = await fh.stat();
      if (!s.isFile()) return undefined;
      return { name, text: await fh.readFile('utf8'), mtime: s.mtimeMs };
    } finally {
      await fh.close();
    }
  }

  /** Write an auth file into the dir (created 0700), atomically, with the store's change time. */
  async writeAuth(dir: string, name: string, text: string, mtime?: number): Promise<void> {
    if (!isMirrorName(name)) throw new Error(`refusing to write an auth file named "${name}"`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await this.writeText(join(dir, name), text, mtime);
  }

  /** Delete an auth file (missing is fine). */
  async removeAuth(dir: string, name: string): Promise<void> {
    if (!isMirrorName(name)) return;
    try {
      const s = await lstat(join(dir, name));
      if (!s.isFile() && !s.isSymbolicLink()) return;
      await unlink(join(dir, name));
    } catch (err) {
      if (!missing(err)) throw err;
    }
  }

  /** Keep a refused hand edit under `dir` (created 0700) as `name`; returns its path. */
  async keepRefused(dir: string, name: string, text: string): Promise<string> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, name);
    await this.files.writeAtomic(path, text, 0o600);
    return path;
  }

  /** Call `onChange` (debounced) when config.yaml changes on disk; returns the stop function. */
  watchFile(path: string, onChange: () => void): () => void {
    return this.files.watch(path, onChange, { debounceMs: 150, pollMs: 1000 });
  }

  /**
   * Call `onChange` (debounced) when a `.json` file in `dir` is added, changed or removed:
   * directory events where the platform has them, and a listing poll as the fallback.
   */
  watchDir(dir: string, onChange: () => void, pollMs = 1000): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const fire = () => {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopped) onChange();
      }, 150);
      timer.unref();
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, { persistent: false }, (_event, file) => {
        // Temp files of atomic writes come and go; only the .json names matter.
        if (file && !isMirrorName(file.toString())) return;
        fire();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The dir may not exist yet: the poll below notices files once it does.
    }
    let last: string | undefined;
    const poll = setInterval(() => {
      void this.signature(dir).then((sig) => {
        if (last !== undefined && sig !== last) fire();
        last = sig;
      });
    }, pollMs);
    poll.unref();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    };
  }

  private async signature(dir: string): Promise<string> {
    try {
      const names = (await readdir(dir)).filter(isMirrorName).sort();
      const parts = await Promise.all(
        names.map(async (n) => {
          try {
            const s = await lstat(join(dir, n));
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

  private async touch(path: string, mtime: number): Promise<void> {
    const at = new Date(mtime);
    await utimes(path, at, at).catch(() => undefined);
  }
}
