import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigModule } from '@app/config/config.module';
import { ConfigRepository } from '@app/config/config.repository';
import { ConfigService } from '@app/config/config.service';
import type { AppConfig } from '@app/config/config.schema';

function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = check();
      if (v !== undefined) resolve(v);
      else if (Date.now() > end) reject(new Error(`nothing within ${timeoutMs} ms`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/** Replace the file the way editors do: write a sibling, rename it over. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

describe(ConfigService.name, () => {
  let dir: string;
  let path: string;
  let example: string;
  let errorLog: jest.SpyInstance;
  let warnLog: jest.SpyInstance;
  let sut: ConfigService;

  const create = (env: NodeJS.ProcessEnv = {}) =>
    new ConfigService(new ConfigRepository(), {
      env: { CONFIG_PATH: path, ...env },
      examplePath: example,
      debounceMs: 30,
      pollMs: 100,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-config-svc-'));
    path = join(dir, 'config.yaml');
    example = join(dir, 'example.yaml');
    writeFileSync(example, '# example\nport: 8317\napi-keys: []\n');
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnLog = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    sut?.stopWatching();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('init', () => {
    it('should create config.yaml from the example on first run and load it', async () => {
      sut = create();
      await sut.init();
      expect(readFileSync(path, 'utf8')).toBe('# example\nport: 8317\napi-keys: []\n');
      expect(sut.current.port).toBe(8317);
      expect(sut.path).toBe(path);
      expect(sut.text).toBe('# example\nport: 8317\napi-keys: []\n');
    });

    it('should refuse to start with an invalid config, listing every problem', async () => {
      writeFileSync(path, 'port: "x"\napi-keys: 7\nrouting:\n  strategy: nope\n');
      sut = create();
      const err = await sut.init().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe(
        [
          `${path}: 3 problems:`,
          '  - line 1: port: Expected number, received string',
          '  - line 2: api-keys: Expected array, received number',
          "  - line 4: routing.strategy: Invalid enum value. Expected 'round-robin' | 'fill-first', received 'nope'",
        ].join('\n'),
      );
      expect(() => sut.current).toThrow(/init/);
    });

    it('should log unknown keys as warnings and still start', async () => {
      writeFileSync(path, 'prot: 1\n');
      sut = create();
      await sut.init();
      expect(warnLog).toHaveBeenCalledWith(expect.stringMatching(/line 1: prot: unknown key/));
    });

    it('should apply env overrides on top of the file', async () => {
      writeFileSync(path, 'port: 9000\nredis:\n  url: redis://file:6379\n');
      sut = create({
        PORT: '9100',
        REDIS_URL: 'redis://env:6379',
        AUTH_DIR: '/srv/auths',
        DATA_DIR: '/srv/data',
      });
      await sut.init();
      expect(sut.current.port).toBe(9100);
      expect(sut.current.redis.url).toBe('redis://env:6379');
      expect(sut.current['auth-dir']).toBe('/srv/auths');
      expect(sut.env.dataDir).toBe('/srv/data');
    });
  });

  describe('reload', () => {
    beforeEach(async () => {
      writeFileSync(path, 'api-keys: []\n');
      sut = create();
      await sut.init();
    });

    it('should adopt a valid change and tell listeners', async () => {
      const seen: [Readonly<AppConfig>, Readonly<AppConfig>][] = [];
      sut.onChange((next, prev) => seen.push([next, prev]));
      writeFileSync(path, 'api-keys: ["k1"]\n');
      expect(await sut.reload('test')).toEqual({ ok: true, changed: true });
      expect(sut.current['api-keys']).toEqual(['k1']);
      expect(seen).toHaveLength(1);
      expect(seen[0][0]['api-keys']).toEqual(['k1']);
      expect(seen[0][1]['api-keys']).toEqual([]);
    });

    it('should report no change for identical text or a comment-only edit', async () => {
      const listener = jest.fn();
      sut.onChange(listener);
      expect(await sut.reload('same')).toEqual({ ok: true, changed: false });
      writeFileSync(path, '# a comment\napi-keys: []\n');
      expect(await sut.reload('comment')).toEqual({ ok: true, changed: false });
      expect(listener).not.toHaveBeenCalled();
    });

    it('should keep the old config when the new file is invalid, and log the problems', async () => {
      const listener = jest.fn();
      sut.onChange(listener);
      writeFileSync(path, 'port: "not a number"\napi-keys: 7\n');
      const result = await sut.reload('test');
      expect(result.ok).toBe(false);
      expect(result.changed).toBe(false);
      expect(result.errors?.map((e) => e.path)).toEqual(['port', 'api-keys']);
      expect(sut.current.port).toBe(8317);
      expect(sut.current['api-keys']).toEqual([]);
      expect(listener).not.toHaveBeenCalled();
      expect(errorLog).toHaveBeenCalledWith(
        expect.stringMatching(/2 problems:[\s\S]*line 1: port:[\s\S]*previous config/),
      );
    });

    it('should log the same broken file only once', async () => {
      writeFileSync(path, 'port: "x"\n');
      await sut.reload('a');
      await sut.reload('b');
      expect(errorLog).toHaveBeenCalledTimes(1);
    });

    it('should keep the old config when the file is emptied or removed', async () => {
      writeFileSync(path, 'api-keys: ["k1"]\n');
      await sut.reload('first');
      writeFileSync(path, '');
      expect((await sut.reload('empty')).ok).toBe(false);
      rmSync(path);
      expect((await sut.reload('gone')).ok).toBe(false);
      expect(sut.current['api-keys']).toEqual(['k1']);
    });

    it('should keep calling other listeners when one throws', async () => {
      const good = jest.fn();
      sut.onChange(() => {
        throw new Error('boom');
      });
      sut.onChange(good);
      writeFileSync(path, 'api-keys: ["k2"]\n');
      await sut.reload('test');
      expect(good).toHaveBeenCalledTimes(1);
      expect(errorLog).toHaveBeenCalledWith(expect.stringMatching(/boom/));
    });

    it('should stop calling a listener after it unsubscribes', async () => {
      const listener = jest.fn();
      const off = sut.onChange(listener);
      off();
      writeFileSync(path, 'api-keys: ["k3"]\n');
      await sut.reload('test');
      expect(listener).not.toHaveBeenCalled();
    });
  });

  describe('watching', () => {
    beforeEach(async () => {
      writeFileSync(path, 'api-keys: []\n');
      sut = create();
      await sut.init();
      sut.startWatching();
    });

    it('should reload within a second of an editor-style replace', async () => {
      const started = Date.now();
      const next = new Promise<Readonly<AppConfig>>((resolve) => sut.onChange((n) => resolve(n)));
      replaceFile(path, 'api-keys: ["sk-new-key"]\n');
      const config = await next;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(config['api-keys']).toEqual(['sk-new-key']);
      expect(sut.current['api-keys']).toEqual(['sk-new-key']);
    });

    it('should reject an invalid edit, report it, and keep the old config', async () => {
      writeFileSync(path, 'port: "nope"\n');
      await waitFor(() => (errorLog.mock.calls.length > 0 ? true : undefined), 1500);
      expect(String(errorLog.mock.calls[0][0])).toMatch(/line 1: port: Expected number/);
      expect(sut.current.port).toBe(8317);
    });

    it('should stop reloading after stopWatching', async () => {
      sut.stopWatching();
      writeFileSync(path, 'api-keys: ["late"]\n');
      await new Promise((r) => setTimeout(r, 400));
      expect(sut.current['api-keys']).toEqual([]);
    });
  });

  describe('writeText', () => {
    beforeEach(async () => {
      writeFileSync(path, 'api-keys: []\n');
      sut = create();
      await sut.init();
    });

    it('should not write invalid text and return its problems', async () => {
      const result = await sut.writeText('port: []\n');
      expect(result).toEqual({
        ok: false,
        errors: [expect.objectContaining({ path: 'port', line: 1 })],
      });
      expect(readFileSync(path, 'utf8')).toBe('api-keys: []\n');
      expect((await sut.writeText('  \n')).ok).toBe(false);
    });

    it('should write valid text atomically and reload', async () => {
      const listener = jest.fn();
      sut.onChange(listener);
      const result = await sut.writeText('api-keys: ["k9"]\nextra-key: 1\n');
      expect(result).toEqual({
        ok: true,
        changed: true,
        warnings: [expect.objectContaining({ path: 'extra-key', line: 2 })],
      });
      expect(readFileSync(path, 'utf8')).toBe('api-keys: ["k9"]\nextra-key: 1\n');
      expect(readdirSync(dir).sort()).toEqual(['config.yaml', 'example.yaml']);
      expect(sut.current['api-keys']).toEqual(['k9']);
      expect(listener).toHaveBeenCalledTimes(1);
    });

    it('should keep a stored secret that the new text holds only in masked form', async () => {
      await sut.writeText('api-keys: ["sk-team-key-0123456789-abcd"]\n');
      const result = await sut.writeText('api-keys: ["sk-…abcd", "sk-new-key-9876543210-wxyz"]\n');
      expect(result.ok).toBe(true);
      expect(sut.current['api-keys']).toEqual([
        'sk-team-key-0123456789-abcd',
        'sk-new-key-9876543210-wxyz',
      ]);
    });

    it('should refuse a masked value that stands for several stored secrets', async () => {
      const twins = 'api-keys: [sk-one-0000000000000-abcd, sk-two-1111111111111-abcd]\n';
      await sut.writeText(twins);
      const result = await sut.writeText('api-keys: [a, b, "sk-…abcd"]\n');
      expect(result).toEqual({
        ok: false,
        errors: [{ path: 'api-keys[2]', message: expect.stringMatching(/send the full value/) }],
      });
      expect(readFileSync(path, 'utf8')).toBe(twins);
    });
  });
});

describe(ConfigModule.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-config-mod-'));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should provide a ConfigService that is already loaded', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, 'port: 9123\n');
    const previous = process.env.CONFIG_PATH;
    process.env.CONFIG_PATH = path;
    try {
      const moduleRef = await Test.createTestingModule({ imports: [ConfigModule] }).compile();
      const sut = moduleRef.get(ConfigService);
      expect(sut.current.port).toBe(process.env.PORT ? Number(process.env.PORT) : 9123);
      expect(moduleRef.get(ConfigRepository)).toBeInstanceOf(ConfigRepository);
      await moduleRef.close();
    } finally {
      if (previous === undefined) delete process.env.CONFIG_PATH;
      else process.env.CONFIG_PATH = previous;
    }
  });
});
