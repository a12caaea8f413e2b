import { AppError, managementError } from '@app/common';
import { parseConfig, type ConfigService, type ConfigText } from '@app/config';
import { ConfigEditService } from '@app/management/config-edit.service';
import type {
  ConfigLock,
  ConfigLockRepository,
} from '@app/management/config-routes/config-lock.repository';
import { ConfigRoutesService } from '@app/management/config-routes/config-routes.service';
import { badRequest, ok } from '@app/management/config-routes/list-edit';

const FILE = `# keys
api-keys:
  - k1 # first
debug: false
`;

/** config.yaml in memory, with ConfigService's validate-then-write contract. */
class FakeFile {
  text = FILE;
  writes: string[] = [];
  readonly path = '/tmp/config.yaml';

  readSource(): Promise<ConfigText> {
    return Promise.resolve({ text: this.text });
  }

  writeText(text: string) {
    const parsed = parseConfig(text);
    if (!parsed.ok) return Promise.resolve(parsed);
    const changed = text !== this.text;
    this.text = text;
    this.writes.push(text);
    return Promise.resolve({ ok: true as const, changed, warnings: parsed.warnings });
  }
}

class FakeLock {
  events: string[] = [];
  busy = false;

  acquire(): Promise<ConfigLock | 'busy'> {
    if (this.busy) return Promise.resolve('busy');
    this.events.push('acquire');
    return Promise.resolve({
      held: true,
      release: () => {
        this.events.push('release');
        return Promise.resolve();
      },
    });
  }
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe(ConfigRoutesService.name, () => {
  let file: FakeFile;
  let lock: FakeLock;
  let sut: ConfigRoutesService;

  beforeEach(() => {
    file = new FakeFile();
    lock = new FakeLock();
    const config = file as unknown as ConfigService;
    sut = new ConfigRoutesService(
      config,
      new ConfigEditService(config),
      lock as unknown as ConfigLockRepository,
    );
  });

  describe(ConfigRoutesService.prototype.update.name, () => {
    it('should edit the value read from the file, keep the comments, and hold the lock', async () => {
      await sut.update(['api-keys'], (current) => {
        lock.events.push('edit');
        return ok([...(current as string[]), 'k2']);
      });
      expect(file.text).toContain('# keys');
      expect(parseConfig(file.text)).toMatchObject({
        ok: true,
        config: { 'api-keys': ['k1', 'k2'] },
      });
      expect(lock.events).toEqual(['acquire', 'edit', 'release']);
    });

    it('should throw a refusal with its status and write nothing', async () => {
      const e = await rejection(
        sut.update(['api-keys'], () => badRequest('missing index or value')),
      );
      expect(e).toEqual(managementError(400, 'missing index or value'));
      expect(file.writes).toEqual([]);
      expect(lock.events).toEqual(['acquire', 'release']);
    });

    it('should answer 400 for a result the schema rejects, and write nothing', async () => {
      const e = await rejection(sut.set(['request-retry'], 'three'));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^config rejected: request-retry: /);
      expect(file.writes).toEqual([]);
    });

    it('should answer 503 with Retry-After while another replica holds the lock', async () => {
      lock.busy = true;
      const e = await rejection(sut.set(['debug'], true));
      expect(e.status).toBe(503);
      expect(e.headers).toEqual({ 'Retry-After': '1' });
      expect(file.writes).toEqual([]);
    });
  });

  describe(ConfigRoutesService.prototype.replaceText.name, () => {
    it('should write valid text and say whether it changed anything', async () => {
      expect(await sut.replaceText('debug: true\n')).toEqual({ ok: true, changed: true });
      expect(file.text).toBe('debug: true\n');
      expect(lock.events).toEqual(['acquire', 'release']);
    });

    it('should refuse broken YAML as invalid_yaml with the line, writing nothing', async () => {
      const r = await sut.replaceText('debug: true\nport: [1, 2\n');
      expect(r).toMatchObject({ ok: false, error: 'invalid_yaml' });
      expect(!r.ok && r.issues[0].line).toBeGreaterThan(1);
      expect(!r.ok && r.message).toMatch(/^config\.yaml: 1 problem:\n {2}- line \d+: YAML syntax:/);
      expect(file.writes).toEqual([]);
    });

    it('should refuse schema errors as invalid_config, every one with its line', async () => {
      const r = await sut.replaceText('debug: true\nport: "x"\nrequest-retry: "y"\n');
      expect(r).toMatchObject({
        ok: false,
        error: 'invalid_config',
        issues: [
          { path: 'port', line: 2 },
          { path: 'request-retry', line: 3 },
        ],
      });
      expect(!r.ok && r.message).toContain('line 2: port:');
      expect(file.writes).toEqual([]);
    });
  });
});
