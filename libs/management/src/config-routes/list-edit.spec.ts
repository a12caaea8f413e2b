import { managementError } from '@app/common';
import {
  cleanEntry,
  deleteFromStringList,
  mergeEntry,
  onlyMatch,
  patchStringList,
  readIndex,
  readListBody,
  readStringList,
  valueOrThrow,
  type EditResult,
} from '@app/management/config-routes/list-edit';

function value<T>(r: EditResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.status} ${r.error}`);
  return r.value;
}

const KEYS = ['k1', 'k2', 'k3'];

describe(readIndex.name, () => {
  it('should read an index from a JSON number or query text', () => {
    expect(readIndex(1, 3)).toEqual({ ok: true, value: 1 });
    expect(readIndex(' 2 ', 3)).toEqual({ ok: true, value: 2 });
  });

  it('should answer 400 for something that is not a whole number', () => {
    for (const raw of ['x', '1.5', 1.5, '', null, true]) {
      expect(readIndex(raw, 3)).toMatchObject({ ok: false, status: 400 });
    }
    expect(readIndex('abc', 3)).toMatchObject({ error: 'index must be a whole number, got "abc"' });
  });

  it('should answer 404 for an index past either end', () => {
    expect(readIndex(3, 3)).toEqual({
      ok: false,
      status: 404,
      error: 'item not found: no item at index 3 (the list has 3)',
    });
    expect(readIndex('-1', 3)).toMatchObject({ ok: false, status: 404 });
  });
});

describe(onlyMatch.name, () => {
  it('should pick the single match, 404 on none and 400 on several', () => {
    expect(onlyMatch([4], 'ambiguous')).toEqual({ ok: true, value: 4 });
    expect(onlyMatch([], 'ambiguous')).toEqual({ ok: false, status: 404, error: 'item not found' });
    expect(onlyMatch([1, 2], 'ambiguous')).toEqual({ ok: false, status: 400, error: 'ambiguous' });
  });
});

describe(readListBody.name, () => {
  it('should take a raw array or the list inside a wrapper', () => {
    expect(value(readListBody(['a']))).toEqual(['a']);
    expect(value(readListBody({ items: ['b'] }))).toEqual(['b']);
    expect(value(readListBody({ value: ['c'] }, ['value', 'items']))).toEqual(['c']);
  });

  it('should answer 400 naming the accepted shapes', () => {
    expect(readListBody({ value: ['c'] })).toEqual({
      ok: false,
      status: 400,
      error: 'invalid body: expected […] or {"items": […]}',
    });
    expect(readListBody('a,b')).toMatchObject({ ok: false, status: 400 });
  });
});

describe(readStringList.name, () => {
  it('should trim every item', () => {
    expect(value(readStringList([' a ', 'b'], 'api-keys'))).toEqual(['a', 'b']);
  });

  it('should name the first item that is not a non-empty string', () => {
    expect(readStringList(['a', 5], 'api-keys')).toMatchObject({
      status: 400,
      error: 'api-keys[1] must be a string',
    });
    expect(readStringList(['a', '  '], 'api-keys')).toMatchObject({
      error: 'api-keys[1] must not be empty',
    });
  });
});

describe(patchStringList.name, () => {
  it('should replace the item at an index', () => {
    expect(value(patchStringList(KEYS, { index: 1, value: ' k2b ' }))).toEqual(['k1', 'k2b', 'k3']);
  });

  it('should replace the first item equal to old', () => {
    expect(value(patchStringList(['a', 'b', 'b'], { old: 'b', new: 'c' }))).toEqual([
      'a',
      'c',
      'b',
    ]);
  });

  it('should append new when old is absent, and start a list that does not exist', () => {
    expect(value(patchStringList(KEYS, { old: 'zz', new: 'k4' }))).toEqual([...KEYS, 'k4']);
    expect(value(patchStringList(undefined, { old: '', new: 'k1' }))).toEqual(['k1']);
  });

  it('should match items written as numbers in YAML', () => {
    expect(value(patchStringList([12345], { old: '12345', new: 'k' }))).toEqual(['k']);
  });

  it('should answer 404 for an index outside the list and leave it alone', () => {
    expect(patchStringList(KEYS, { index: 7, value: 'x' })).toMatchObject({ status: 404 });
  });

  it('should answer 400 for a body of neither shape or a non-string value', () => {
    expect(patchStringList(KEYS, { old: 'k1' })).toMatchObject({
      status: 400,
      error:
        'invalid body: expected {"old": "…", "new": "…"} or {"index": <integer>, "value": "…"}',
    });
    expect(patchStringList(KEYS, ['k1'])).toMatchObject({ status: 400 });
    expect(patchStringList(KEYS, { index: 0, value: 3 })).toMatchObject({
      error: 'value[0] must be a string',
    });
    expect(patchStringList(KEYS, { old: 'k1', new: '' })).toMatchObject({ status: 400 });
  });
});

describe(deleteFromStringList.name, () => {
  it('should remove the item at ?index=', () => {
    expect(value(deleteFromStringList(KEYS, { index: '0' }))).toEqual(['k2', 'k3']);
  });

  it('should remove every item equal to ?value=, and nothing when none is', () => {
    expect(value(deleteFromStringList(['a', 'b', ' a'], { value: 'a' }))).toEqual(['b']);
    expect(value(deleteFromStringList(KEYS, { value: 'zz' }))).toEqual(KEYS);
  });

  it('should take the first of a repeated parameter', () => {
    expect(value(deleteFromStringList(KEYS, { index: ['2', '0'] }))).toEqual(['k1', 'k2']);
  });

  it('should answer 400 without index or value, and for a malformed index', () => {
    expect(deleteFromStringList(KEYS, {})).toEqual({
      ok: false,
      status: 400,
      error: 'missing index or value',
    });
    expect(deleteFromStringList(KEYS, { value: '  ' })).toMatchObject({ status: 400 });
    expect(deleteFromStringList(KEYS, { index: 'one' })).toMatchObject({ status: 400 });
  });
});

describe(mergeEntry.name, () => {
  it('should replace the fields given, whole, and keep the others', () => {
    const entry = { 'api-key': 'k', headers: { a: '1', b: '2' }, priority: 1 };
    expect(mergeEntry(entry, { headers: { c: '3' }, prefix: 'p' })).toEqual({
      'api-key': 'k',
      headers: { c: '3' },
      priority: 1,
      prefix: 'p',
    });
    expect(entry.headers).toEqual({ a: '1', b: '2' });
  });

  it('should remove a field set to null and ignore auth-index', () => {
    expect(mergeEntry({ a: 1, prefix: 'p' }, { prefix: null, 'auth-index': 'abc' })).toEqual({
      a: 1,
    });
  });
});

describe(cleanEntry.name, () => {
  it('should trim the named text fields only and drop auth-index', () => {
    expect(
      cleanEntry({ 'api-key': ' k ', note: ' n ', 'auth-index': 'x', priority: 2 }, ['api-key']),
    ).toEqual({ 'api-key': 'k', note: ' n ', priority: 2 });
  });
});

describe(valueOrThrow.name, () => {
  it('should throw a refusal as an AppError with its status', () => {
    expect(valueOrThrow({ ok: true, value: 3 })).toBe(3);
    expect(() => valueOrThrow({ ok: false, status: 404, error: 'item not found' })).toThrow(
      managementError(404, 'item not found'),
    );
  });
});
