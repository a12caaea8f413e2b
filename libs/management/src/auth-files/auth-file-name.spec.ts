import { join } from 'node:path';
import { authFilePath, checkAuthFileName } from '@app/management/auth-files/auth-file-name';

describe(checkAuthFileName.name, () => {
  it('should accept the names CLIProxyAPI writes and trim surrounding spaces', () => {
    for (const name of [
      'claude-dev@example.com.json',
      'codex-abc123-dev@example.com-plus.json',
      'gemini-user@example.com-my-project.json',
      'vertex-proj+1.json',
    ]) {
      expect(checkAuthFileName(name)).toEqual({ ok: true, name });
    }
    expect(checkAuthFileName('  a.json ')).toEqual({ ok: true, name: 'a.json' });
  });

  it.each([
    ['../a.json', /\.\.|separator/],
    ['..\\a.json', /separator/],
    ['/etc/passwd.json', /separator/],
    ['a/b.json', /separator/],
    ['C:\\x.json', /separator/],
    ['a\u0000.json', /control character/],
    ['a\n.json', /control character/],
    ['a.json\u0000.txt', /control character/],
    ['..json', /"\.\."|dot/],
    ['.hidden.json', /dot/],
    ['notes.txt', /\.json/],
    ['sp ace.json', /letters, digits/],
    ['ünïcode.json', /letters, digits/],
    [`${'a'.repeat(251)}.json`, /longer than 255 bytes/],
  ])('should refuse %j', (name, reason) => {
    const r = checkAuthFileName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });

  it('should refuse missing and non-string names without echoing them', () => {
    expect(checkAuthFileName(undefined)).toEqual({ ok: false, error: 'name is required' });
    expect(checkAuthFileName(['a.json'])).toEqual({ ok: false, error: 'name is required' });
    expect(checkAuthFileName('   ')).toEqual({ ok: false, error: 'name is required' });
    const long = checkAuthFileName(`${'x'.repeat(4000)}.json`);
    expect(!long.ok && long.error.length).toBeLessThan(80);
  });

  it('should count bytes, not characters, against the 255 limit', () => {
    // 84 three-byte characters are 252 bytes: fine by length, too long in bytes with .json.
    const r = checkAuthFileName(`${'€'.repeat(84)}.json`);
    expect(r).toEqual({ ok: false, error: 'invalid name: longer than 255 bytes' });
  });
});

describe(authFilePath.name, () => {
  it('should resolve a plain name directly inside the dir', () => {
    expect(authFilePath('/srv/auths/', 'a.json')).toBe(join('/srv/auths', 'a.json'));
  });

  it('should throw for anything that resolves elsewhere', () => {
    for (const name of ['../a.json', '/etc/x.json', 'sub/a.json', '.', '..', '']) {
      expect(() => authFilePath('/srv/auths', name)).toThrow(/outside the auth dir/);
    }
  });
});
