import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigRepository, packageRoot } from '@app/config/config.repository';

function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const tick = () => {
      if (check()) resolve(true);
      else if (Date.now() > end) resolve(false);
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe(ConfigRepository.name, () => {
  let dir: string;
  let sut: ConfigRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-config-repo-'));
    sut = new ConfigRepository();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('read', () => {
    it('should return the text, or undefined for a missing file', async () => {
      writeFileSync(join(dir, 'a.yaml'), 'port: 1\n');
      expect(await sut.read(join(dir, 'a.yaml'))).toBe('port: 1\n');
      expect(await sut.read(join(dir, 'missing.yaml'))).toBeUndefined();
    });
  });

  describe('writeAtomic', () => {
    it('should replace the content and leave no temp file behind', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'old: true\n');
      await sut.writeAtomic(file, 'port: 9000\n');
      expect(readFileSync(file, 'utf8')).toBe('port: 9000\n');
      expect(readdirSync(dir)).toEqual(['config.yaml']);
    });

    it('should keep the mode of the existing file, and create new files owner-only', async () => {
      const existing = join(dir, 'shared.yaml');
      writeFileSync(existing, 'a: 1\n', { mode: 0o640 });
      await sut.writeAtomic(existing, 'a: 2\n');
      expect(statSync(existing).mode & 0o777).toBe(0o640);
      const fresh = join(dir, 'fresh.yaml');
      await sut.writeAtomic(fresh, 'a: 1\n');
      expect(statSync(fresh).mode & 0o777).toBe(0o600);
    });

    it('should fail without touching the target when the directory does not exist', async () => {
      await expect(sut.writeAtomic(join(dir, 'nope', 'config.yaml'), 'x')).rejects.toThrow();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  describe('removeStaleTemps', () => {
    it('should delete old temp files of the target only, and keep young ones', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'a: 1\n');
      const old = join(dir, '.config.yaml.123.abcd1234.tmp');
      const young = join(dir, '.config.yaml.456.ef567890.tmp');
      const other = join(dir, '.other.yaml.123.abcd1234.tmp');
      for (const f of [old, young, other]) writeFileSync(f, 'partial');
      const past = new Date(Date.now() - 120_000);
      utimesSync(old, past, past);
      utimesSync(other, past, past);
      expect(await sut.removeStaleTemps(file)).toBe(1);
      expect(readdirSync(dir).sort()).toEqual(
        ['.config.yaml.456.ef567890.tmp', '.other.yaml.123.abcd1234.tmp', 'config.yaml'].sort(),
      );
    });

    it('should answer 0 when the directory does not exist', async () => {
      expect(await sut.removeStaleTemps(join(dir, 'nope', 'config.yaml'))).toBe(0);
    });
  });

  describe('ensureExists', () => {
    it('should create the file from the example when missing', async () => {
      const example = join(dir, 'example.yaml');
      writeFileSync(example, '# example\nport: 8317\n');
      const file = join(dir, 'sub', 'config.yaml');
      expect(await sut.ensureExists(file, example)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe('# example\nport: 8317\n');
      expect(readdirSync(join(dir, 'sub'))).toEqual(['config.yaml']);
    });

    it('should never overwrite an existing file', async () => {
      const example = join(dir, 'example.yaml');
      writeFileSync(example, 'port: 1\n');
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'port: 2\n');
      expect(await sut.ensureExists(file, example)).toBe(false);
      expect(readFileSync(file, 'utf8')).toBe('port: 2\n');
    });

    it('should create the file exactly once when several processes race', async () => {
      const example = join(dir, 'example.yaml');
      writeFileSync(example, 'port: 1\n');
      const file = join(dir, 'config.yaml');
      const created = await Promise.all([1, 2, 3, 4].map(() => sut.ensureExists(file, example)));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(['config.yaml', 'example.yaml']);
    });

    it('should resolve a relative example path against the package root', async () => {
      const file = join(dir, 'config.yaml');
      expect(await sut.ensureExists(file, 'config.example.yaml')).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(
        readFileSync(join(packageRoot(), 'config.example.yaml'), 'utf8'),
      );
    });

    it('should say what to do when the example is missing', async () => {
      await expect(
        sut.ensureExists(join(dir, 'config.yaml'), join(dir, 'none.yaml')),
      ).rejects.toThrow(/CONFIG_PATH/);
    });
  });

  describe('watch', () => {
    it('should notice a file replaced by rename, once per burst', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'port: 1\n');
      let calls = 0;
      const stop = sut.watch(file, () => calls++, { debounceMs: 50, pollMs: 100 });
      try {
        writeFileSync(join(dir, '.config.yaml.tmp'), 'port: 2\n');
        renameSync(join(dir, '.config.yaml.tmp'), file);
        expect(await waitUntil(() => calls > 0, 1000)).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        expect(calls).toBe(1);
      } finally {
        stop();
      }
    });

    it('should ignore other files in the directory', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'port: 1\n');
      let calls = 0;
      const stop = sut.watch(file, () => calls++, { debounceMs: 30, pollMs: 100 });
      try {
        writeFileSync(join(dir, 'other.yaml'), 'x: 1\n');
        await new Promise((r) => setTimeout(r, 400));
        expect(calls).toBe(0);
      } finally {
        stop();
      }
    });

    it('should stop calling back once stopped', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'port: 1\n');
      let calls = 0;
      const stop = sut.watch(file, () => calls++, { debounceMs: 30, pollMs: 100 });
      stop();
      writeFileSync(file, 'port: 22\n');
      await new Promise((r) => setTimeout(r, 400));
      expect(calls).toBe(0);
    });

    it('should notice the file appearing in a directory created later (polling)', async () => {
      const file = join(dir, 'later', 'config.yaml');
      let calls = 0;
      const stop = sut.watch(file, () => calls++, { debounceMs: 30, pollMs: 100 });
      try {
        await new Promise((r) => setTimeout(r, 150));
        await sut.ensureExists(file, join(packageRoot(), 'config.example.yaml'));
        expect(await waitUntil(() => calls > 0, 1500)).toBe(true);
      } finally {
        stop();
      }
    });
  });
});
