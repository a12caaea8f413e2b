import { readYamlValue, setYamlValue } from '@app/management/yaml-edit';

const CONFIG = `# Switchboard config
port: 8317 # the port

remote-management:
  # Accept calls from other machines.
  allow-remote: false
  # The key.
  secret-key: 'plain-text'

# Statistics
usage-statistics-enabled: false   # off by default
api-keys:
- sk-one
- sk-two
`;

function edited(text: string, path: (string | number)[], value: unknown): string {
  const r = setYamlValue(text, path, value);
  if (!r.ok) throw new Error(r.error);
  return r.text;
}

describe(setYamlValue.name, () => {
  it('should change only the characters of the edited scalar', () => {
    const next = edited(CONFIG, ['usage-statistics-enabled'], true);
    expect(next).toBe(
      CONFIG.replace('usage-statistics-enabled: false', 'usage-statistics-enabled: true'),
    );
  });

  it("should keep a nested scalar's quoting and comments", () => {
    const hash = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
    const next = edited(CONFIG, ['remote-management', 'secret-key'], hash);
    expect(next).toBe(CONFIG.replace("secret-key: 'plain-text'", `secret-key: '${hash}'`));
    expect(readYamlValue(next, ['remote-management', 'secret-key'])).toBe(hash);
  });

  it('should quote a value that would not read back as written', () => {
    const text = 'name: plain\n';
    for (const value of ['yes', '123', 'a: b', "it's", 'line\nbreak', '']) {
      expect(readYamlValue(edited(text, ['name'], value), ['name'])).toBe(value);
    }
  });

  it('should append a missing top-level key and leave the rest as it was', () => {
    expect(edited(CONFIG, ['request-log'], true)).toBe(`${CONFIG}request-log: true\n`);
    expect(edited('debug: false', ['request-log'], true)).toBe('debug: false\nrequest-log: true\n');
  });

  it('should add a missing nested key and keep the comments', () => {
    const next = edited(CONFIG, ['quota-exceeded', 'switch-project'], true);
    expect(readYamlValue(next, ['quota-exceeded', 'switch-project'])).toBe(true);
    expect(next).toContain('# Accept calls from other machines.');
    expect(readYamlValue(next, ['api-keys'])).toEqual(['sk-one', 'sk-two']);
  });

  it('should replace a non-scalar through the document model', () => {
    const next = edited(CONFIG, ['api-keys'], ['sk-three']);
    expect(readYamlValue(next, ['api-keys'])).toEqual(['sk-three']);
    expect(next).toContain('# The key.');
  });

  it('should start a document when the file is empty', () => {
    expect(readYamlValue(edited('', ['debug'], true), ['debug'])).toBe(true);
  });

  it('should refuse a text that does not parse', () => {
    const r = setYamlValue('a: [1, 2\n', ['a'], 1);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/does not parse/);
  });
});
