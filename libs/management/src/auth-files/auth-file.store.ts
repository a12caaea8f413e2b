import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { AuthDirRepository } from '@app/routing';
import { authFilePath } from '@app/management/auth-files/auth-file-name';

/** Size and change time of an auth file. */
export interface AuthFileStat {
  size: number;
  mtimeMs: number;
}

/** An auth file's bytes with its stat. */
export interface AuthFileContent extends AuthFileStat {
  data: Buffer;
}

function missing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // ELOOP: the name is a symlink (O_NOFOLLOW); treated as absent, never followed out of the dir.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

/**
 * Reads auth files for the management API. Names must already be validated; the resolved path
 * is checked again, symlinks are never followed and only regular files are read. Writes and
 * deletes go through AuthDirRepository (atomic, mode 0600).
 */
@Injectable()
export class AuthFileStore {
  /** Stat of a regular file in the dir; undefined when absent or not a regular file. */
  async stat(repo: AuthDirRepository, name: string): Promise<AuthFileStat | undefined> {
    try {
      const s = await lstat(authFilePath(repo.dir, name));
      return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  /** Read a regular file without following symlinks; undefined when absent. */
  async read(repo: AuthDirRepository, name: string): Promise<AuthFileContent | undefined> {
    let fh;
    try {
      fh = await open(authFilePath(repo.dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
    try {
      const s = await fh.stat();
      if (!s.isFile()) return undefined;
      const data = await fh.readFile();
      return { data, size: s.size, mtimeMs: s.mtimeMs };
    } finally {
      await fh.close();
    }
  }

  /** Write atomically (temp file, fsync, rename; mode 0600). */
  async write(repo: AuthDirRepository, name: string, content: string | object): Promise<void> {
    authFilePath(repo.dir, name);
    await repo.writeAtomic(name, content);
  }

  /** Delete; false when there was no such regular file. */
  async remove(repo: AuthDirRepository, name: string): Promise<boolean> {
    // The config store knows whether the file exists even when this host's copy lags behind.
    if (repo.storeBacked) return repo.remove(name);
    if (!(await this.stat(repo, name))) return false;
    await repo.remove(name);
    return true;
  }
}
