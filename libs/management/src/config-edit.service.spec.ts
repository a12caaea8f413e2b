import { parseConfig, type ConfigRepository, type ConfigService } from '@app/config';
import { ConfigEditService } from '@app/management/config-edit.service';

/** config.yaml in memory, with ConfigService's validate-then-write contract. */
class FakeFile {
  writes: string[] = [];
  readonly path = '/tmp/config.yaml';

  constructor(public text: string) {}

  read(): Promise<string | undefined> {
    return Promise.resolve(this.text);
  }

  writeText(text: string) {
    const parsed = parseConfig(text);
    if (!parsed.ok) return Promise.resolve(parsed);
    this.text = text;
    this.writes.push(text);
    return Promise.resolve({ ok: true as const, changed: true, warnings: parsed.warnings });
  }
}

function make(file: FakeFile): ConfigEditService {
  return new ConfigEditService(
    file as unknown as ConfigService,
    file as unknown as ConfigRepository,
  );
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
});
