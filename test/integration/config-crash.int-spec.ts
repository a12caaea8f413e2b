import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@app/config';

// PUT /v0/management/config.yaml (and every single-key edit) ends in ConfigRepository.writeAtomic.
// A child process runs that code in a loop, alternating two full config texts, and is SIGKILLed
// at random points: the file must always hold one of the two texts whole.

const CHILD = join(__dirname, 'config-writer.child.js');
const ITERATIONS = 30;

/** A valid config.yaml of about `kb` KiB, so a write spans many disk blocks. */
function bigConfig(debug: boolean, kb: number): string {
  const filler = Array.from(
    { length: kb * 16 },
    (_, i) => `# line ${i} of filler text so each write takes a while`,
  );
  return `# crash test ${debug}\ndebug: ${debug}\n${filler.join('\n')}\napi-keys:\n  - sk-${debug}\n`;
}

/** Start the writer; resolves once it has loaded and is about to write. */
function startWriter(file: string, a: string, b: string, cacheDir: string) {
  const child = spawn(process.execPath, [CHILD, file, a, b], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWC_CACHE_DIR: cacheDir },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited (${code}) before ready: ${err}`)));
  });
  return { child, ready, exited };
}

describe('config.yaml under SIGKILL', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should always hold the old or the new full text, never a torn one', async () => {
    const texts = [bigConfig(true, 256), bigConfig(false, 256)];
    for (const t of texts) expect(parseConfig(t).ok).toBe(true);
    const file = join(dir, 'config.yaml');
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, texts[0]);
    writeFileSync(b, texts[1]);
    writeFileSync(file, texts[0]);

    const outcomes = new Set<number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const writer = startWriter(file, a, b, join(dir, 'swc-cache'));
      await writer.ready;
      // Anywhere from before the first write to several writes in.
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      writer.child.kill('SIGKILL');
      await writer.exited;

      const now = readFileSync(file, 'utf8');
      const which = texts.indexOf(now);
      expect([i, which >= 0 ? 'whole' : `torn (${now.length} chars)`]).toEqual([i, 'whole']);
      expect(parseConfig(now).ok).toBe(true);
      outcomes.add(which);
    }
    // The writer did get to replace the file (the kills were not all before its first write).
    expect(outcomes).toEqual(new Set([0, 1]));

    // A kill can leave a temp file behind, but never under the config's own name.
    const others = readdirSync(dir).filter(
      (n) => !['config.yaml', 'a.txt', 'b.txt', 'swc-cache'].includes(n),
    );
    for (const name of others) expect(name).toMatch(/^\.config\.yaml\.\d+\.[0-9a-f]+\.tmp$/);
  }, 120_000);
});
