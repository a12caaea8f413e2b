import { packageRoot } from '@app/common';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { unwatchFile, watch as watchDir, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** File name of the example config shipped at the package root. */
export const EXAMPLE_CONFIG_FILE = 'config.example.yaml';

// config.yaml holds API keys: files we create are readable by their owner only.
const NEW_FILE_MODE = 0o600;

/** Options for `ConfigRepository.watch`. */
export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs (editors write in bursts). */
  debounceMs?: number;
  /** Stat polling interval, the fallback where directory events are unreliable (NFS, some mounts). */
  pollMs?: number;
}

/** The directory holding package.json (re-exported: config specs and the loader use it). */
export { packageRoot };

// What fs.watchFile reports for a file that does not exist.
const MISSING_SIGNATURE = '0:0:0';

/** Identifies one version of a file well enough to tell a change from a repeat. */
function signature(s: Stats): string {
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** All file I/O of the config: read, atomic write, first-run creation, watching. */
@Injectable()
export class ConfigRepository {
  /** The file's text, or undefined when it does not exist. */
  async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Replace a file so readers see either the old or the new content, never a mix: write a temp
   * file in the same directory, fsync it, rename it over the target, fsync the directory.
   * The mode defaults to the existing file's (0600 for a new file).
   */
  async writeAtomic(path: string, text: string, mode?: number): Promise<void> {
    const fileMode = mode ?? (await this.currentMode(path)) ?? NEW_FILE_MODE;
    const tmp = await this.writeTemp(path, text, fileMode);
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await this.syncDir(dirname(path));
  }

  /**
   * Create `path` from the example config when it does not exist; true when it was created.
   * A relative `examplePath` is resolved against the package root; `prepare` turns the example's
   * text into the new file's (first-run client keys).
   */
  async ensureExists(
    path: string,
    examplePath: string = EXAMPLE_CONFIG_FILE,
    prepare: (exampleText: string) => string = (t) => t,
  ): Promise<boolean> {
    if (await this.exists(path)) return false;
    const example = isAbsolute(examplePath) ? examplePath : join(packageRoot(), examplePath);
    let text: string;
    try {
      text = await readFile(example, 'utf8');
    } catch (err) {
      throw new Error(
        `${path} does not exist and the example config ${example} cannot be read ` +
          `(${(err as Error).message}); create ${path} or set CONFIG_PATH`,
      );
    }
    text = prepare(text);
    await mkdir(dirname(path), { recursive: true });
    // Gateway and worker start together and may both get here: create exclusively, and whoever
    // loses the race keeps the winner's file.
    const tmp = await this.writeTemp(path, text, NEW_FILE_MODE);
    try {
      await link(tmp, path);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EEXIST') return false;
      // Filesystems without hard links: fall back to an exclusive (non-atomic) create.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') {
        throw err;
      }
      try {
        const fh = await open(path, 'wx', NEW_FILE_MODE);
        await fh.writeFile(text, 'utf8').finally(() => fh.close());
      } catch (inner) {
        if (errorCode(inner) === 'EEXIST') return false;
        throw inner;
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    await this.syncDir(dirname(path));
    return true;
  }

  /**
   * Call `onChange` (debounced) whenever the file changes. Watches the directory, because
   * editors replace files by renaming a temp file over them, and polls the file's stat as a
   * fallback. Returns a function that stops watching.
   */
  watch(path: string, onChange: () => void, options: WatchOptions = {}): () => void {
    const { debounceMs = 100, pollMs = 500 } = options;
    const file = resolve(path);
    const name = basename(file);
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    // The stat poll trails the directory events by up to pollMs; remembering which file version
    // was last reported keeps one change from being reported twice.
    let reported = '';
    const report = async () => {
      reported = await stat(file).then(signature, () => MISSING_SIGNATURE);
      if (!stopped) onChange();
    };

    const fire = () => {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        void report();
      }, debounceMs);
      timer.unref();
    };

    let watcher: FSWatcher | undefined;
    try {
      watcher = watchDir(dirname(file), { persistent: false }, (_event, filename) => {
        // Some platforms do not report the name; then any event in the directory counts.
        if (filename === null || filename === name) fire();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // Directory missing or not watchable: the stat polling below still notices changes.
    }

    const poll = (curr: Stats, prev: Stats) => {
      const now = signature(curr);
      if (now !== signature(prev) && now !== reported) fire();
    };
    watchFile(file, { interval: pollMs, persistent: false }, poll);

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      unwatchFile(file, poll);
    };
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  private async currentMode(path: string): Promise<number | undefined> {
    try {
      return (await stat(path)).mode & 0o777;
    } catch {
      return undefined;
    }
  }

  /**
   * Delete temp files a killed writer left beside `path` (`.<name>.<pid>.<hex>.tmp`). Only
   * files older than `minAgeMs` go: a younger one may belong to a writer that is still running.
   * Returns how many were removed.
   */
  async removeStaleTemps(path: string, minAgeMs = 60_000): Promise<number> {
    const dir = dirname(path);
    const prefix = `.${basename(path)}.`;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const cutoff = Date.now() - minAgeMs;
    for (const n of names) {
      if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
      const file = join(dir, n);
      try {
        if ((await stat(file)).mtimeMs > cutoff) continue;
        await unlink(file);
        removed++;
      } catch {
        // Gone already (another process cleaned it) or unreadable: nothing to do.
      }
    }
    return removed;
  }

  /** Write `text` to a fresh temp file beside `path`, flushed to disk; returns its path. */
  private async writeTemp(path: string, text: string, mode: number): Promise<string> {
    const tmp = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.chmod(mode);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    return tmp;
  }

  /** fsync a directory so a rename in it survives a crash (not supported everywhere). */
  private async syncDir(dir: string): Promise<void> {
    try {
      const fh = await open(dir, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch {
      // Windows and some filesystems cannot fsync a directory; the rename is still atomic.
    }
  }
}
