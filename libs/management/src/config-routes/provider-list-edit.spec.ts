import type { EditResult } from '@app/management/config-routes/list-edit';
import {
  deleteFromCompatList,
  deleteFromKeyList,
  patchCompatList,
  patchKeyList,
  readCompatList,
  readKeyList,
} from '@app/management/config-routes/provider-list-edit';

function value<T>(r: EditResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.status} ${r.error}`);
  return r.value;
}

// Two entries share key "dup" (told apart by base-url), as happens with one key on two hosts.
const KEYS = [
  { 'api-key': 'k1', 'base-url': 'https://a.example', priority: 1 },
  { 'api-key': 'dup', 'base-url': 'https://b.example' },
  { 'api-key': 'dup', 'base-url': 'https://c.example', prefix: 'c' },
];

describe(readKeyList.name, () => {
  it('should accept a raw array or {"items"}, trimming text fields and dropping auth-index', () => {
    const body = [
      { 'api-key': ' k ', 'base-url': ' https://x ', 'auth-index': 'abc', priority: 2 },
    ];
    const want = [{ 'api-key': 'k', 'base-url': 'https://x', priority: 2 }];
    expect(value(readKeyList(body, 'gemini-api-key'))).toEqual(want);
    expect(value(readKeyList({ items: body }, 'gemini-api-key'))).toEqual(want);
  });

  it('should answer 400 naming an item that is not an object', () => {
    expect(readKeyList([{ 'api-key': 'k' }, 'k2'], 'claude-api-key')).toEqual({
      ok: false,
      status: 400,
      error: 'claude-api-key[1] must be an object',
    });
  });
});

describe(patchKeyList.name, () => {
  it('should merge the value into the entry at index, keeping its other fields', () => {
    const next = value(patchKeyList(KEYS, { index: 0, value: { prefix: ' team ' } }, {}));
    expect(next[0]).toEqual({
      'api-key': 'k1',
      'base-url': 'https://a.example',
      priority: 1,
      prefix: 'team',
    });
    expect(next.slice(1)).toEqual(KEYS.slice(1));
  });

  it('should find the entry by its api-key', () => {
    const next = value(patchKeyList(KEYS, { match: ' k1 ', value: { priority: 9 } }, {}));
    expect(next[0]).toMatchObject({ 'api-key': 'k1', priority: 9 });
  });

  it('should refuse an ambiguous match with 400 and change nothing', () => {
    expect(patchKeyList(KEYS, { match: 'dup', value: { priority: 9 } }, {})).toEqual({
      ok: false,
      status: 400,
      error: 'multiple items match; index is required',
    });
  });

  it('should tell entries sharing a key apart by ?base-url=', () => {
    const next = value(
      patchKeyList(
        KEYS,
        { match: 'dup', value: { priority: 5 } },
        { 'base-url': 'https://c.example' },
      ),
    );
    expect(next[2]).toMatchObject({ prefix: 'c', priority: 5 });
    expect(next[1]).toEqual(KEYS[1]);
  });

  it('should answer 404 when nothing matches', () => {
    expect(patchKeyList(KEYS, { match: 'nope', value: {} }, {})).toMatchObject({ status: 404 });
    expect(patchKeyList(KEYS, { index: 3, value: {} }, {})).toMatchObject({ status: 404 });
  });

  it('should remove the entry when the value empties its api-key', () => {
    expect(value(patchKeyList(KEYS, { index: 1, value: { 'api-key': '' } }, {}))).toEqual([
      KEYS[0],
      KEYS[2],
    ]);
  });

  it('should remove a field the value sets to null', () => {
    expect(value(patchKeyList(KEYS, { index: 2, value: { prefix: null } }, {}))[2]).toEqual({
      'api-key': 'dup',
      'base-url': 'https://c.example',
    });
  });

  it('should answer 400 without a value object or a target', () => {
    const shape =
      'invalid body: expected {"index": <integer>, "value": {…}} or {"match": "<api-key>", "value": {…}}';
    expect(patchKeyList(KEYS, { index: 0 }, {})).toEqual({ ok: false, status: 400, error: shape });
    expect(patchKeyList(KEYS, { value: { priority: 1 } }, {})).toEqual({
      ok: false,
      status: 400,
      error: shape,
    });
    expect(patchKeyList(KEYS, { index: 'first', value: {} }, {})).toMatchObject({ status: 400 });
  });
});

describe(deleteFromKeyList.name, () => {
  it('should remove the one entry with that api-key', () => {
    expect(value(deleteFromKeyList(KEYS, { 'api-key': 'k1' }))).toEqual(KEYS.slice(1));
  });

  it('should refuse a key shared by several entries until base-url says which', () => {
    expect(deleteFromKeyList(KEYS, { 'api-key': 'dup' })).toEqual({
      ok: false,
      status: 400,
      error: 'multiple items match api-key; base-url is required',
    });
    expect(
      value(deleteFromKeyList(KEYS, { 'api-key': 'dup', 'base-url': 'https://b.example' })),
    ).toEqual([KEYS[0], KEYS[2]]);
  });

  it('should ask for an index when api-key and base-url still match several', () => {
    const twins = [...KEYS, { ...KEYS[2] }];
    expect(deleteFromKeyList(twins, { 'api-key': 'dup', 'base-url': 'https://c.example' })).toEqual(
      { ok: false, status: 400, error: 'multiple items match; index is required' },
    );
  });

  it('should match a key YAML read as a number', () => {
    expect(value(deleteFromKeyList([{ 'api-key': 12345 }], { 'api-key': '12345' }))).toEqual([]);
  });

  it('should remove by ?index= and refuse what it cannot resolve', () => {
    expect(value(deleteFromKeyList(KEYS, { index: '2' }))).toEqual(KEYS.slice(0, 2));
    expect(deleteFromKeyList(KEYS, { 'api-key': 'nope' })).toMatchObject({ status: 404 });
    expect(deleteFromKeyList(KEYS, { index: '9' })).toMatchObject({ status: 404 });
    expect(deleteFromKeyList(KEYS, {})).toEqual({
      ok: false,
      status: 400,
      error: 'missing api-key or index',
    });
  });
});

const COMPAT = [
  {
    name: 'openrouter',
    'base-url': 'https://openrouter.example/v1',
    'api-key-entries': [{ 'api-key': 'or-1' }],
  },
  { name: 'local', 'base-url': 'http://127.0.0.1:8000/v1' },
];

describe(readCompatList.name, () => {
  it('should trim names and keys and drop auth-index inside api-key-entries', () => {
    const body = {
      items: [
        {
          name: ' x ',
          'base-url': 'https://x',
          'api-key-entries': [{ 'api-key': ' k ', 'auth-index': 'ab' }],
        },
      ],
    };
    expect(value(readCompatList(body))).toEqual([
      { name: 'x', 'base-url': 'https://x', 'api-key-entries': [{ 'api-key': 'k' }] },
    ]);
  });
});

describe(patchCompatList.name, () => {
  it('should merge into the entry named by name', () => {
    const next = value(patchCompatList(COMPAT, { name: 'local', value: { prefix: 'lan' } }));
    expect(next[1]).toEqual({ ...COMPAT[1], prefix: 'lan' });
    expect(next[0]).toBe(COMPAT[0]);
  });

  it('should merge into the entry at index', () => {
    const keys = [{ 'api-key': 'or-2' }];
    const next = value(patchCompatList(COMPAT, { index: 0, value: { 'api-key-entries': keys } }));
    expect(next[0]).toMatchObject({ name: 'openrouter', 'api-key-entries': keys });
  });

  it('should remove the entry when the value empties its base-url', () => {
    expect(
      value(patchCompatList(COMPAT, { name: 'openrouter', value: { 'base-url': '' } })),
    ).toEqual([COMPAT[1]]);
  });

  it('should refuse a name two entries share, and an unknown name', () => {
    const twice = [...COMPAT, { ...COMPAT[1] }];
    expect(patchCompatList(twice, { name: 'local', value: {} })).toMatchObject({ status: 400 });
    expect(patchCompatList(COMPAT, { name: 'nope', value: {} })).toMatchObject({ status: 404 });
    expect(patchCompatList(COMPAT, { value: {} })).toMatchObject({ status: 400 });
  });
});

describe(deleteFromCompatList.name, () => {
  it('should remove by ?name= or ?index=', () => {
    expect(value(deleteFromCompatList(COMPAT, { name: 'local' }))).toEqual([COMPAT[0]]);
    expect(value(deleteFromCompatList(COMPAT, { index: '0' }))).toEqual([COMPAT[1]]);
  });

  it('should answer 404 for an unknown name and 400 without name or index', () => {
    expect(deleteFromCompatList(COMPAT, { name: 'nope' })).toMatchObject({ status: 404 });
    expect(deleteFromCompatList(COMPAT, {})).toEqual({
      ok: false,
      status: 400,
      error: 'missing name or index',
    });
  });
});
