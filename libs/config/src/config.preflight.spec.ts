import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsClientKey, CONFIG_EXIT_CODE, EXAMPLE_CLIENT_KEYS } from '@app/common';
import { parseConfig } from '@app/config/config.loader';
import {
  firstRunConfig,
  loadConfigOrExit,
  newClientKey,
  preflightConfig,
} from '@app/config/config.preflight';
import { packageRoot } from '@app/config/config.repository';

const EXAMPLE = readFileSync(join(packageRoot(), 'config.example.yaml'), 'utf8');

describe('config preflight', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-preflight-'));
    path = join(dir, 'config.yaml');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe(firstRunConfig.name, () => {
    it('should replace every placeholder client key of the example with a random key', () => {
      const { text, keys } = firstRunConfig(EXAMPLE);
      expect(keys).toHaveLength(2);
      const parsed = parseConfig(text);
      if (!parsed.ok) throw new Error('first-run config does not parse');
      expect(parsed.config['api-keys']).toEqual(keys);
      for (const k of EXAMPLE_CLIENT_KEYS) expect(parsed.config['api-keys']).not.toContain(k);
      // Everything else is the example, comments included.
      expect(text.split('\n').length).toBe(EXAMPLE.split('\n').length);
    });

    it('should make long keys that differ every time', () => {
      const a = newClientKey();
      expect(a).toMatch(/^sk-sb-[A-Za-z0-9_-]{32}$/);
      expect(newClientKey()).not.toBe(a);
    });
  });

  describe(preflightConfig.name, () => {
    it('should create config.yaml with new keys on first run, owner-only, and report them', async () => {
      const r = await preflightConfig({ CONFIG_PATH: path });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      expect(r.newKeys).toHaveLength(2);
      expect(readFileSync(path, 'utf8')).toContain(`'${r.newKeys[0]}'`);
      expect(r.config['api-keys']).toEqual(r.newKeys);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const again = await preflightConfig({ CONFIG_PATH: path });
      expect(again.ok && again.newKeys).toEqual([]);
    });

    it('should list every problem of an invalid file with its line', async () => {
      writeFileSync(path, 'port: 99999\napi-keys: 5\n');
      const r = await preflightConfig({ CONFIG_PATH: path });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors.map((e) => [e.line, e.path])).toEqual([
        [1, 'port'],
        [2, 'api-keys'],
      ]);
    });

    it('should report a bad environment override as a configuration problem', async () => {
      writeFileSync(path, 'port: 8317\n');
      const r = await preflightConfig({ CONFIG_PATH: path, PORT: 'eighty' });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors[0].message).toMatch(/PORT must be a whole number/);
    });
  });

  describe(loadConfigOrExit.name, () => {
    const logger = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
    let exit: jest.SpyInstance;

    beforeEach(() => {
      jest.clearAllMocks();
      exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
        throw new Error(`exit ${code}`);
      }) as never);
    });

    afterEach(() => exit.mockRestore());

    it('should print the problems once, without a stack, and exit with the config code', async () => {
      writeFileSync(path, 'port: 99999\n');
      await expect(loadConfigOrExit(logger, { CONFIG_PATH: path })).rejects.toThrow(
        `exit ${CONFIG_EXIT_CODE}`,
      );
      expect(logger.error).toHaveBeenCalledTimes(1);
      const [message, context] = logger.error.mock.calls[0] as [string, string];
      expect(context).toBe('Config');
      expect(message).toMatch(/1 problem:\n {2}- line 1: port: /);
      expect(message).not.toMatch(/\n\s+at /);
    });

    it('should print the new client keys once on first run', async () => {
      const r = await loadConfigOrExit(logger, { CONFIG_PATH: path });
      expect(logger.log).toHaveBeenCalledTimes(1);
      const [message] = logger.log.mock.calls[0] as [string];
      for (const k of r.newKeys) expect(message).toContain(k);
      await loadConfigOrExit(logger, { CONFIG_PATH: path });
      expect(logger.log).toHaveBeenCalledTimes(1);
    });
  });
});

describe(acceptsClientKey.name, () => {
  it('should refuse the example placeholders even when config.yaml lists them', () => {
    const keys = ['your-api-key-1', 'sk-real-key-0123456789'];
    expect(acceptsClientKey('sk-real-key-0123456789', keys)).toBe(true);
    expect(acceptsClientKey('your-api-key-1', keys)).toBe(false);
    expect(acceptsClientKey('your-api-key-3', ['your-api-key-3'])).toBe(false);
    expect(acceptsClientKey('other', keys)).toBe(false);
  });
});
