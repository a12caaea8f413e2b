import {
  deleteJsonPath,
  hasJsonPath,
  parseJsonPath,
  setJsonPath,
} from '@app/proxy/payload-rules.path';

describe('payload rule paths', () => {
  describe(parseJsonPath.name, () => {
    it('should split on dots and keep escaped dots inside a key', () => {
      expect(parseJsonPath('generationConfig.thinkingConfig.thinkingBudget')).toEqual([
        'generationConfig',
        'thinkingConfig',
        'thinkingBudget',
      ]);
      expect(parseJsonPath('metadata.a\\.b')).toEqual(['metadata', 'a.b']);
    });

    it('should refuse empty paths and empty steps', () => {
      expect(parseJsonPath('')).toBeUndefined();
      expect(parseJsonPath('  ')).toBeUndefined();
      expect(parseJsonPath('a..b')).toBeUndefined();
    });
  });

  describe(hasJsonPath.name, () => {
    const doc = { a: { b: null, list: [{ x: 1 }] } };

    it('should find keys, array elements and null values', () => {
      expect(hasJsonPath(doc, ['a', 'b'])).toBe(true);
      expect(hasJsonPath(doc, ['a', 'list', '0', 'x'])).toBe(true);
    });

    it('should not find missing keys, out-of-range or non-numeric indexes', () => {
      expect(hasJsonPath(doc, ['a', 'c'])).toBe(false);
      expect(hasJsonPath(doc, ['a', 'list', '1'])).toBe(false);
      expect(hasJsonPath(doc, ['a', 'list', 'x'])).toBe(false);
      expect(hasJsonPath(doc, ['a', 'b', 'c'])).toBe(false);
    });

    it('should not treat inherited properties as present', () => {
      expect(hasJsonPath({}, ['toString'])).toBe(false);
    });
  });

  describe(setJsonPath.name, () => {
    it('should set a nested value without changing the original', () => {
      const sut = { a: { b: 1 }, other: { keep: true } };
      const out = setJsonPath(sut, ['a', 'c'], 2);
      expect(out).toEqual({ a: { b: 1, c: 2 }, other: { keep: true } });
      expect(sut).toEqual({ a: { b: 1 }, other: { keep: true } });
      // Untouched branches are shared, not copied.
      expect(out.other).toBe(sut.other);
    });

    it('should create objects for missing keys and arrays before an index', () => {
      expect(setJsonPath({}, ['a', 'b', 'c'], 'x')).toEqual({ a: { b: { c: 'x' } } });
      expect(setJsonPath({}, ['list', '1'], 'x')).toEqual({ list: [null, 'x'] });
    });

    it('should replace a scalar standing in the way', () => {
      expect(setJsonPath({ a: 5 }, ['a', 'b'], 1)).toEqual({ a: { b: 1 } });
    });

    it('should append with -1 and overwrite an existing element by index', () => {
      const sut = { stop: ['a', 'b'] };
      expect(setJsonPath(sut, ['stop', '-1'], 'c')).toEqual({ stop: ['a', 'b', 'c'] });
      expect(setJsonPath(sut, ['stop', '0'], 'z')).toEqual({ stop: ['z', 'b'] });
      expect(sut.stop).toEqual(['a', 'b']);
    });

    it('should leave the document as it was when a key is used on an array', () => {
      const sut = { list: [1] };
      expect(setJsonPath(sut, ['list', 'name'], 1)).toBe(sut);
    });
  });

  describe(deleteJsonPath.name, () => {
    it('should remove a key without changing the original', () => {
      const sut = { a: { b: 1, c: 2 } };
      const out = deleteJsonPath(sut, ['a', 'b']);
      expect(out).toEqual({ a: { c: 2 } });
      expect(sut).toEqual({ a: { b: 1, c: 2 } });
    });

    it('should splice an array element out', () => {
      expect(deleteJsonPath({ list: ['a', 'b', 'c'] }, ['list', '1'])).toEqual({
        list: ['a', 'c'],
      });
    });

    it('should return the same document when the path is missing', () => {
      const sut = { a: 1 };
      expect(deleteJsonPath(sut, ['b', 'c'])).toBe(sut);
    });
  });
});
