import { parseConfig, type ConfigService, type ConfigText } from '@app/config';
import { ConfigEditService } from '@app/management/config-edit.service';

/**
 * config.yaml in memory, with ConfigService's validate-then-write contract and, like the Redis
 * config store, a version that a write based on an older one is refused against.
 */
class FakeFile {
  writes: string[] = [];
  readonly path = '/tmp/config.yaml';
  version = 1;
  /** Runs once before the next write lands: another replica's edit. */
  interloper: (() => void) | undefined;

  constructor(public text: string) {}

  readSource(): Promise<ConfigText> {
    return Promise.resolve({ text: this.text, version: this.version });
  }

  writeText(text: string, opts: { baseVersion?: number } = {}) {
    const parsed = parseConfig(text);
    if (!parsed.ok) return Promise.resolve(parsed);
    const other = this.interloper;
    this.interloper = undefined;
    other?.();
    if (opts.baseVersion !== undefined && opts.baseVersion !== this.version) {
      return Promise.resolve({ ok: false as const, conflict: true, errors: [] });
    }
    this.text = text;
    this.version++;
    this.writes.push(text);
    return Promise.resolve({ ok: true as const, changed: true, warnings: parsed.warnings });
  }
}

function make(file: FakeFile): ConfigEditService {
  return new ConfigEditService(file as unknown as ConfigService);
}

describe(ConfigEditService.name, () => {
  it('should set one key and keep the rest of the file', async () => {
    const file = new FakeFile('# team\ndebug: false # off\n');
    expect(await make(file).set(['debug'], true)).toEqual({ ok: true, changed: true });
    expect(file.text).toBe('# team\ndebug: true # off\n');
  });

  it.each([
    ['a YAML syntax error', 'debug: [unclosed\n', /line \d+: YAML syntax: /],
    ['a value the schema refuses', 'request-retry: three\n', /line 1: request-retry: /],
  ])('should answer 409 with the problem while the file on disk has %s', async (_, text, why) => {
    const file = new FakeFile(text);
    const result = await make(file).set(['debug'], true);
    expect(result).toMatchObject({ ok: false, status: 409 });
    const error = result.ok ? '' : result.error;
    expect(error).toMatch(
      /^config\.yaml on disk is invalid, so it was left untouched; fix it first/,
    );
    expect(error).toMatch(why);
    expect(file.writes).toEqual([]);
    expect(file.text).toBe(text);
  });

  it('should not even ask the updater while the file is invalid', async () => {
    const file = new FakeFile('debug: [unclosed\n');
    const updater = jest.fn(() => ({ value: 1 }));
    await make(file).update(['request-retry'], updater);
    expect(updater).not.toHaveBeenCalled();
  });

  it('should re-apply an edit to the fresh text when another writer got in first', async () => {
    const file = new FakeFile('api-keys: ["k0"]\n');
    file.interloper = () => {
      file.text = 'api-keys: ["k0", "from-b"]\n';
      file.version++;
    };
    const append = (current: unknown) => ({ value: [...(current as string[]), 'from-a'] });
    expect(await make(file).update(['api-keys'], append)).toEqual({ ok: true, changed: true });
    const final = parseConfig(file.text);
    expect(final.ok && final.config['api-keys']).toEqual(['k0', 'from-b', 'from-a']);
  });

  it('should give up with 409 when the text keeps changing under the edit', async () => {
    const file = new FakeFile('debug: false\n');
    const keepChanging = () => {
      file.version++;
      file.interloper = keepChanging;
    };
    file.interloper = keepChanging;
    const result = await make(file).set(['debug'], true);
    expect(result).toMatchObject({ ok: false, status: 409 });
    expect(file.writes).toEqual([]);
  });
});
