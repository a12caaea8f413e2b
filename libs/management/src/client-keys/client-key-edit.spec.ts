import { keyId } from '@app/common';
import {
  addKey,
  applyInfo,
  dropKey,
  generateClientKey,
  readInfoFields,
  readKeyRef,
  readNewKey,
} from '@app/management/client-keys/client-key-edit';

const KEY = 'sk-some-client-key-0001';

describe(readInfoFields.name, () => {
  const allowed = ['label', 'owner', 'expires', 'note'];

  it('should take valid fields and clear with null or ""', () => {
    expect(
      readInfoFields({ label: ' CI ', owner: null, expires: '2026-01-31', note: '' }, allowed),
    ).toEqual({
      ok: true,
      value: { label: 'CI', owner: null, expires: '2026-01-31', note: null },
    });
  });

  it('should name the setting it refuses', () => {
    expect(readInfoFields({ expire: 'x' }, allowed)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^expire: unknown field/),
    });
    expect(readInfoFields({ expires: 'next week' }, allowed)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^expires: expected an ISO 8601 date/),
    });
    expect(readInfoFields({ label: 'x'.repeat(81) }, allowed)).toMatchObject({
      error: 'label: at most 80 characters',
    });
    expect(readInfoFields({ owner: 3 }, allowed)).toMatchObject({
      error: 'owner: expected a string',
    });
  });
});

describe(readNewKey.name, () => {
  it('should generate a key when none is given and check one that is', () => {
    const gen = readNewKey({});
    expect(gen.ok && gen.value).toMatch(/^sk-[0-9a-f]{48}$/);
    expect(generateClientKey()).not.toBe(generateClientKey());
    expect(readNewKey({ key: ' has space ' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^key:/),
    });
    expect(readNewKey({ key: KEY })).toEqual({ ok: true, value: KEY });
  });
});

describe(readKeyRef.name, () => {
  it('should take a key id or the key itself', () => {
    expect(readKeyRef({ key_id: 'ABCDEF01' })).toEqual({ ok: true, value: 'abcdef01' });
    expect(readKeyRef({ key: KEY })).toEqual({ ok: true, value: keyId(KEY) });
    expect(readKeyRef({ key_id: 'nope' })).toMatchObject({ ok: false });
    expect(readKeyRef({})).toMatchObject({ ok: false, error: expect.stringMatching(/^key_id:/) });
  });
});

describe(applyInfo.name, () => {
  it('should move an entry named by the key to its id and drop emptied entries', () => {
    const id = keyId(KEY);
    const moved = applyInfo({ [KEY]: { label: 'a', owner: 'o' }, other: { label: 'x' } }, id, KEY, {
      owner: null,
      note: 'n',
    });
    expect(moved).toEqual({
      ok: true,
      value: { other: { label: 'x' }, [id]: { label: 'a', note: 'n' } },
    });
    expect(applyInfo({ [id]: { label: 'a' } }, id, KEY, { label: null })).toEqual({
      ok: true,
      value: {},
    });
  });
});

describe('api-keys edits', () => {
  it('should append a new key once and drop one by id', () => {
    expect(addKey(['a'], KEY)).toEqual({ ok: true, value: ['a', KEY] });
    expect(addKey([KEY], KEY)).toMatchObject({ ok: false });
    expect(dropKey(['a', KEY], keyId(KEY))).toEqual({ ok: true, value: ['a'] });
    expect(dropKey(['a'], keyId(KEY))).toMatchObject({ ok: false, status: 404 });
  });
});
