import { join } from 'node:path';
import type { AuthDirRepository, AuthFileText } from '@app/routing';

/** Where a login's auth file goes, and how the rest of the cluster learns about it. */
export interface AuthFileSink {
  /** Write the file atomically (mode 0600) and make it live; returns its path. */
  write(name: string, json: Record<string, unknown>): Promise<string>;
  /** The files now in auth-dir (the iFlow cookie login refuses a cookie already in use). */
  readAll(): Promise<AuthFileText[]>;
}

/**
 * Writes into auth-dir through routing's repository (temp file, fsync, rename, 0600), then runs
 * `announce` so this process reloads and every replica is told (`auth-dir-changed`).
 */
export class AuthDirSink implements AuthFileSink {
  constructor(
    private readonly repo: () => AuthDirRepository | undefined,
    private readonly announce: (fileName: string) => Promise<void>,
  ) {}

  private dir(): AuthDirRepository {
    const repo = this.repo();
    if (!repo) throw new Error('auth-dir is not set in config.yaml; set it to save logins');
    return repo;
  }

  async write(name: string, json: Record<string, unknown>): Promise<string> {
    const repo = this.dir();
    await repo.writeAtomic(name, json);
    await this.announce(name);
    return join(repo.dir, name);
  }

  async readAll(): Promise<AuthFileText[]> {
    return this.dir().readAll();
  }
}
