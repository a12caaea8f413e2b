import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '@app/common';
import { contentTypeOf, isAssetName } from '@app/gateway/panel/panel-http';

/** Overrides the folder the built panel is read from (tests). */
export const PANEL_DIR = Symbol('PANEL_DIR');

/** One file of the built panel, ready to send. */
export interface PanelFile {
  body: Buffer;
  /** The gzip form, when it is smaller. */
  gzip: Buffer | undefined;
  type: string;
  /** Strong entity tag (quoted) from the content. */
  etag: string;
}

/** Files below this size are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

/**
 * Reads the built panel (`dist/web`: `management.html` and `assets/*`) once per file and keeps
 * it in memory with its gzip form: the whole panel is a few hundred KB, and a build never
 * changes under a running process (asset names are content hashes).
 */
@Injectable()
export class PanelAssetsRepository {
  private readonly dir: string;
  private readonly cache = new Map<string, Promise<PanelFile | undefined>>();

  constructor(@Optional() @Inject(PANEL_DIR) dir?: string) {
    this.dir = dir ?? join(packageRoot(), 'dist', 'web');
  }

  /** Where the panel is read from (for messages). */
  get root(): string {
    return this.dir;
  }

  /** The panel page, or undefined when the panel was not built. */
  page(): Promise<PanelFile | undefined> {
    return this.load('management.html', join(this.dir, 'management.html'));
  }

  /** One file of `assets/`, or undefined (a name with any path in it is never read). */
  asset(name: string): Promise<PanelFile | undefined> {
    if (!isAssetName(name)) return Promise.resolve(undefined);
    return this.load(`assets/${name}`, join(this.dir, 'assets', name));
  }

  private load(key: string, path: string): Promise<PanelFile | undefined> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pending = read(path).then((file) => {
      // Misses are not kept: a name that does not exist must not grow the cache.
      if (!file) this.cache.delete(key);
      return file;
    });
    this.cache.set(key, pending);
    return pending;
  }
}

async function read(path: string): Promise<PanelFile | undefined> {
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    return undefined;
  }
  const type = contentTypeOf(path);
  let gzip: Buffer | undefined;
  if (body.length >= GZIP_MIN_BYTES && !type.startsWith('image/png') && !type.startsWith('font/')) {
    const z = gzipSync(body, { level: 9 });
    if (z.length < body.length) gzip = z;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip, type, etag };
}
