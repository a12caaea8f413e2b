import { keyId } from '@app/common';
import { clientKeyTable, expiredAt, parseIsoTime } from '@app/config/client-key-info';

const A = 'sk-client-aaaaaaaaaaaa';
const B = 'sk-client-bbbbbbbbbbbb';

describe(clientKeyTable.name, () => {
  it('should name entries by key or key id, the id winning field by field', () => {
    const sut = clientKeyTable({
      'api-keys': [A, B],
      'api-key-info': {
        [A]: { label: 'by key', owner: 'ops' },
        [keyId(A)]: { label: 'by id' },
        [keyId(B)]: { expires: '2020-01-01' },
        ffffffff: { label: 'orphan' },
        'sk-gone-000000000': { label: 'gone' },
      },
    });
    expect(sut.byKeyId.get(keyId(A))).toEqual({ keyId: keyId(A), label: 'by id', owner: 'ops' });
    expect(sut.byKeyId.get(keyId(B))?.expiresAt).toBe(Date.UTC(2020, 0, 1));
    expect([...sut.orphans].sort()).toEqual(['ffffffff', keyId('sk-gone-000000000')].sort());
    expect(sut.expiring).toBe(true);
    expect(expiredAt(sut, keyId(B))?.expires).toBe('2020-01-01');
    expect(expiredAt(sut, keyId(A))).toBeUndefined();
  });

  it('should cost one branch when no key expires', () => {
    const sut = clientKeyTable({ 'api-keys': [A], 'api-key-info': {} });
    expect(sut.expiring).toBe(false);
    expect(expiredAt(sut, keyId(A))).toBeUndefined();
  });
});

describe(parseIsoTime.name, () => {
  it('should read dates and times as UTC unless an offset says otherwise', () => {
    expect(parseIsoTime('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseIsoTime('2026-01-31T18:00')).toBe(Date.UTC(2026, 0, 31, 18));
    expect(parseIsoTime('2026-01-31T18:00:00+02:00')).toBe(Date.UTC(2026, 0, 31, 16));
    expect(parseIsoTime('soon')).toBeUndefined();
  });
});
