import { applyFieldPatch } from '@app/management/auth-files/auth-file-fields';

const BASE = {
  type: 'claude',
  access_token: 'tok',
  prefix: 'old',
  headers: { 'X-Old': 'old', 'X-Remove': 'gone' },
  'excluded-models': ['a-*'],
};

describe(applyFieldPatch.name, () => {
  it('should set strings, merge headers (blank deletes) and leave the input untouched', () => {
    const input = structuredClone(BASE);
    const r = applyFieldPatch(input, {
      prefix: ' p1 ',
      proxy_url: 'http://proxy.local:3128',
      headers: { 'X-Old': 'new', 'X-New': 'v', 'X-Remove': '  ', 'X-Nope': '' },
      note: 'team laptop',
    });
    expect(r).toEqual({
      ok: true,
      changed: ['prefix', 'proxy_url', 'headers', 'note'],
      data: {
        type: 'claude',
        access_token: 'tok',
        prefix: 'p1',
        proxy_url: 'http://proxy.local:3128',
        headers: { 'X-Old': 'new', 'X-New': 'v' },
        'excluded-models': ['a-*'],
        note: 'team laptop',
      },
    });
    expect(input).toEqual(BASE);
  });

  it('should remove a field for null or a blank string', () => {
    const r = applyFieldPatch(BASE, { prefix: '', headers: null, excluded_models: null });
    expect(r.ok && r.data).toEqual({ type: 'claude', access_token: 'tok' });
  });

  it('should write canonical keys and drop the alias spelling', () => {
    const r = applyFieldPatch(BASE, { 'excluded-models': ['b-*', ' '], 'disable-cooling': true });
    expect(r.ok && r.data).toMatchObject({ excluded_models: ['b-*'], disable_cooling: true });
    expect(r.ok && 'excluded-models' in r.data).toBe(false);
    expect(r.ok && r.changed).toEqual(['excluded_models', 'disable_cooling']);
  });

  it('should accept integer priorities (numbers or numeric strings) and null', () => {
    expect(applyFieldPatch(BASE, { priority: 7 })).toMatchObject({ data: { priority: 7 } });
    expect(applyFieldPatch(BASE, { priority: '-3' })).toMatchObject({ data: { priority: -3 } });
    const cleared = applyFieldPatch({ ...BASE, priority: 4 }, { priority: null });
    expect(cleared.ok && 'priority' in cleared.data).toBe(false);
  });

  it.each([
    [{}, 'no fields to update'],
    [{ type: 'codex' }, /unsupported field "type"; supported: prefix, proxy_url/],
    [{ access_token: 'x' }, /unsupported field "access_token"/],
    [{ priority: 1.5 }, 'priority must be an integer or null'],
    [{ priority: 'high' }, 'priority must be an integer or null'],
    [{ prefix: 3 }, 'prefix must be a string or null'],
    [{ headers: ['x'] }, /headers must be an object/],
    [{ headers: { 'X-A': 1 } }, 'headers.X-A must be a string'],
    [{ excluded_models: 'a' }, /excluded_models must be a list/],
    [{ disable_cooling: 'yes' }, /disable_cooling must be true, false or null/],
    [{ proxy_url: 'ftp://proxy' }, /scheme ftp: is not supported/],
    [{ proxy_url: 'not a url' }, /is not a URL/],
  ])('should refuse %j', (patch, error) => {
    const r = applyFieldPatch(BASE, patch);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('should accept direct and none as proxy values', () => {
    expect(applyFieldPatch(BASE, { proxy_url: 'direct' })).toMatchObject({
      data: { proxy_url: 'direct' },
    });
    expect(applyFieldPatch(BASE, { proxy_url: 'NONE' }).ok).toBe(true);
  });

  it('should keep the stored proxy password and header secrets a patch sends masked', () => {
    const stored = {
      ...BASE,
      proxy_url: 'http://team:proxy-secret@proxy.local:3128',
      headers: { Authorization: 'Bearer upstream-header-secret-42', 'X-Old': 'old' },
    };
    const r = applyFieldPatch(stored, {
      proxy_url: 'http://team:****@proxy.local:3128/',
      headers: { Authorization: 'Bea…t-42', 'X-Old': 'newer' },
    });
    expect(r.ok && r.data).toMatchObject({
      proxy_url: 'http://team:proxy-secret@proxy.local:3128',
      headers: { Authorization: 'Bearer upstream-header-secret-42', 'X-Old': 'newer' },
    });
    // A real new value is written as sent.
    const changed = applyFieldPatch(stored, { proxy_url: 'http://team:new-pass@proxy.local:3128' });
    expect(changed.ok && changed.data.proxy_url).toBe('http://team:new-pass@proxy.local:3128');
  });
});
