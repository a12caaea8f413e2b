import { configProblems, lineOfPath } from './config-errors';

const YAML = `# gateway
port: 8317
remote-management:
  allow-remote: false
  secret-key: "x"
api-keys:
- "a"
- "b"
claude-api-key:
  - api-key: "k1"
    base-url: "http://one"
  - api-key: "k2"
    # a comment inside the item
    base-url: "http://two"
`;

describe('lineOfPath', () => {
  it('should find top-level and nested keys', () => {
    expect(lineOfPath(YAML, ['port'])).toBe(2);
    expect(lineOfPath(YAML, ['remote-management', 'secret-key'])).toBe(5);
  });

  it('should find list items, also when the dashes sit at the key indent', () => {
    expect(lineOfPath(YAML, ['api-keys', 1])).toBe(8);
    expect(lineOfPath(YAML, ['claude-api-key', 1])).toBe(12);
  });

  it('should find keys inside a list item, including the one on the dash line', () => {
    expect(lineOfPath(YAML, ['claude-api-key', 1, 'api-key'])).toBe(12);
    expect(lineOfPath(YAML, ['claude-api-key', 1, 'base-url'])).toBe(14);
    expect(lineOfPath(YAML, ['claude-api-key', 0, 'base-url'])).toBe(11);
  });

  it('should not leave the parent block to find a key', () => {
    expect(lineOfPath(YAML, ['remote-management', 'port'])).toBeUndefined();
    expect(lineOfPath(YAML, ['api-keys', 5])).toBeUndefined();
  });
});

describe('configProblems', () => {
  it('should read line and column from a YAML syntax message', () => {
    const body = { error: 'Implicit keys need to be on a single line at line 3, column 1' };
    expect(configProblems(body, YAML)).toEqual([{ line: 3, column: 1, message: body.error }]);
  });

  it('should split several schema messages and place each by its key path', () => {
    const body = {
      error: 'invalid config',
      message: 'port: Expected number, received string\nclaude-api-key[1].base-url: must be a URL',
    };
    expect(configProblems(body, YAML)).toEqual([
      { line: 2, message: 'port: Expected number, received string' },
      { line: 14, message: 'claude-api-key[1].base-url: must be a URL' },
    ]);
  });

  it('should use structured errors with lines or paths when the server sends them', () => {
    const body = {
      error: 'invalid config',
      errors: [
        { line: 9, message: 'bad list' },
        { path: 'remote-management.allow-remote', message: 'Expected boolean' },
        'port: too large',
      ],
    };
    expect(configProblems(body, YAML)).toEqual([
      { line: 9, message: 'bad list' },
      { line: 4, message: 'remote-management.allow-remote: Expected boolean' },
      { line: 2, message: 'port: too large' },
    ]);
  });

  it('should still say something for an empty body', () => {
    expect(configProblems(undefined, YAML)[0]?.message).toMatch(/rejected/);
  });
});
