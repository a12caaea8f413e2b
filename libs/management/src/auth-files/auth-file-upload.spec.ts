import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkUpload,
  deleteTargets,
  rawUploadText,
} from '@app/management/auth-files/auth-file-upload';

const FIXTURES = join(__dirname, '../../../../test/fixtures/auth-files');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

describe(checkUpload.name, () => {
  it('should accept every known CLIProxyAPI type and keep the exact text', () => {
    for (const name of [
      'claude-dev@example.com.json',
      'codex-dev@example.com-plus.json',
      'gemini-dev@example.com-switchboard-test.json',
      'vertex-switchboard-test.json',
      'qwen-dev@example.com.json',
      'kimi-device-abc.json',
      'iflow-dev@example.com.json',
      'antigravity-dev@example.com.json',
      'aistudio-dev.json',
    ]) {
      const text = fixture(name);
      const r = checkUpload({ name, text });
      expect(r).toMatchObject({ ok: true, name, text });
    }
    expect(
      checkUpload({ name: 'x.json', text: fixture('claude-dev@example.com.json') }),
    ).toMatchObject({ provider: 'claude' });
  });

  it.each([
    ['invalid/not-json.json', /not valid JSON/],
    ['invalid/unknown-type.json', /unknown auth file type/],
    ['invalid/no-type.json', /type: is required/],
    ['invalid/claude-no-token.json', /access_token/],
    ['invalid/vertex-no-key.json', /private_key/],
  ])('should refuse %s naming the problem', (file, reason) => {
    const r = checkUpload({ name: 'upload.json', text: fixture(file) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.name).toBe('upload.json');
      expect(r.error).toMatch(/^invalid auth file: /);
      expect(r.error).toMatch(reason);
    }
  });

  it('should refuse unsafe names before looking at the content', () => {
    const text = fixture('claude-dev@example.com.json');
    for (const name of ['../evil.json', 'a/b.json', 'x.txt', '']) {
      const r = checkUpload({ name, text });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/name/);
    }
    expect(checkUpload({ name: 'a.json', text: '  \n' })).toEqual({
      ok: false,
      name: 'a.json',
      error: 'file is empty',
    });
  });
});

describe(rawUploadText.name, () => {
  it('should keep text bodies as sent and pretty-print parsed JSON bodies', () => {
    expect(rawUploadText('{"type":"claude"}')).toBe('{"type":"claude"}');
    expect(rawUploadText({ type: 'claude' })).toBe('{\n  "type": "claude"\n}\n');
    expect(rawUploadText('')).toBeUndefined();
    expect(rawUploadText(undefined)).toBeUndefined();
    expect(rawUploadText(null)).toBeUndefined();
  });
});

describe(deleteTargets.name, () => {
  it('should take ?all=true|1|* over everything else', () => {
    for (const all of ['true', '1', '*', ['true']]) {
      expect(deleteTargets({ all, name: 'a.json' }, ['b.json'])).toEqual({ all: true });
    }
    expect(deleteTargets({ all: 'false', name: 'a.json' }, undefined)).toEqual({
      all: false,
      names: ['a.json'],
    });
  });

  it('should read repeated ?name= values, trimmed and deduplicated, before the body', () => {
    expect(deleteTargets({ name: ['a.json', ' b.json', 'a.json', ''] }, ['c.json'])).toEqual({
      all: false,
      names: ['a.json', 'b.json'],
    });
  });

  it('should read a JSON array body or {name, names}', () => {
    expect(deleteTargets({}, ['a.json', 'b.json'])).toEqual({
      all: false,
      names: ['a.json', 'b.json'],
    });
    expect(deleteTargets({}, { name: 'a.json', names: ['b.json', 'a.json'] })).toEqual({
      all: false,
      names: ['a.json', 'b.json'],
    });
    expect(deleteTargets({}, undefined)).toEqual({ all: false, names: [] });
  });

  it('should refuse malformed bodies', () => {
    expect(deleteTargets({}, [1, 2])).toEqual({ error: 'invalid request body' });
    expect(deleteTargets({}, { names: 'a.json' })).toMatchObject({ error: /names must be a list/ });
    expect(deleteTargets({}, { name: 3 })).toMatchObject({ error: /name must be a string/ });
    expect(deleteTargets({}, 42)).toEqual({ error: 'invalid request body' });
  });
});
