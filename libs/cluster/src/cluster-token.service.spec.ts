import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTokenFile, tokenHash } from '@app/cluster/cluster-token.service';

describe(ensureTokenFile.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-token-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should create a 64-hex-character token readable only by its owner', async () => {
    const token = await ensureTokenFile(join(dir, 'data'));
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const path = join(dir, 'data', 'token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(token);
    // no temp files left behind
    expect(readdirSync(join(dir, 'data'))).toEqual(['token']);
  });

  it('should keep the token across starts', async () => {
    const first = await ensureTokenFile(dir);
    expect(await ensureTokenFile(dir)).toBe(first);
  });

  it('should give processes starting together one and the same token', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => ensureTokenFile(dir)));
    expect(new Set(tokens).size).toBe(1);
    expect(readFileSync(join(dir, 'token'), 'utf8').trim()).toBe(tokens[0]);
  });

  it('should refuse a token file that holds something else', async () => {
    writeFileSync(join(dir, 'token'), 'short');
    await expect(ensureTokenFile(dir)).rejects.toThrow(/64-hex-character/);
  });

  it('should hash tokens stably', () => {
    expect(tokenHash('a')).toBe(tokenHash('a'));
    expect(tokenHash('a')).not.toBe(tokenHash('b'));
  });
});
