import { extractClientKey } from '@app/common/client-key';

describe(extractClientKey.name, () => {
  it('should read a Bearer key in any case, after any whitespace', () => {
    expect(extractClientKey({ headers: { authorization: 'Bearer sk-1' } })).toBe('sk-1');
    expect(extractClientKey({ headers: { authorization: 'bearer   sk-2 ' } })).toBe('sk-2');
    expect(extractClientKey({ headers: { authorization: 'BEARER\tsk-3' } })).toBe('sk-3');
  });

  it('should not take other schemes or an empty Bearer', () => {
    expect(extractClientKey({ headers: { authorization: 'Basic abc' } })).toBeUndefined();
    expect(extractClientKey({ headers: { authorization: 'Bearer   ' } })).toBeUndefined();
    expect(extractClientKey({ headers: { authorization: 'Bearersk-4' } })).toBeUndefined();
  });

  it('should fall back to x-api-key, then x-goog-api-key, then ?key=', () => {
    expect(extractClientKey({ headers: { 'x-api-key': 'a', 'x-goog-api-key': 'g' } })).toBe('a');
    expect(extractClientKey({ headers: { 'x-goog-api-key': 'g' }, query: { key: 'q' } })).toBe('g');
    expect(extractClientKey({ headers: {}, query: { key: 'q' } })).toBe('q');
    expect(extractClientKey({ headers: {}, query: { key: 'q' } }, false)).toBeUndefined();
  });
});
