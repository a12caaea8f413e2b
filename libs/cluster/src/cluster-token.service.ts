import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { safeEqual } from '@app/common';
import { ConfigService } from '@app/config';

/** A generated token: 32 random bytes as 64 hex characters. */
const TOKEN_SHAPE = /^[0-9a-f]{64}$/;

/** sha256 of a token, hex (what other members may check a presented token against). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Read `<dir>/token`, creating it on first start: 64 hex characters, mode 0600, written to a
 * private temp file and hard-linked into place, so two processes starting together end up with
 * one token (the loser of the race reads the winner's) and nobody ever reads a partial file.
 */
export async function ensureTokenFile(dir: string): Promise<string> {
  const path = join(dir, 'token');
  const existing = await readToken(path);
  if (existing) return existing;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, path);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readToken(path);
    if (!winner) throw new Error(`${path} exists but does not hold a 64-hex-character token`);
    return winner;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

async function readToken(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const token = text.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new Error(
      `${path} does not hold a 64-hex-character token; delete it to have a new one generated`,
    );
  }
  return token;
}

/**
 * The cluster API token of this deployment (`<data-dir>/token`). Members publish the token's
 * hash, so a token generated on one machine is accepted by every replica.
 */
@Injectable()
export class ClusterTokenService implements OnModuleInit {
  private readonly logger = new Logger('ClusterToken');
  private token: string | undefined;

  constructor(private readonly config: ConfigService) {}

  async onModuleInit(): Promise<void> {
    const dir = this.config.env.dataDir;
    try {
      this.token = await ensureTokenFile(dir);
    } catch (err) {
      // The cluster API still works from localhost and with the management key.
      this.logger.warn(`cluster API token unavailable: ${(err as Error).message}`);
    }
  }

  /** sha256 of this member's token (undefined when there is none). */
  get hash(): string | undefined {
    return this.token ? tokenHash(this.token) : undefined;
  }

  /** True when `candidate` is this member's token (constant time). */
  matchesLocal(candidate: string): boolean {
    return this.token !== undefined && safeEqual(candidate, this.token);
  }
}
