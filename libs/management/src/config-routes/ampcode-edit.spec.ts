import {
  readDeleteKeys,
  readModelMappings,
  readUpstreamKeys,
  removeBy,
  upsertBy,
} from '@app/management/config-routes/ampcode-edit';
import type { EditResult } from '@app/management/config-routes/list-edit';

function value<T>(r: EditResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.status} ${r.error}`);
  return r.value;
}

describe(readModelMappings.name, () => {
  it('should read {"value": […]} (CLIProxyAPI), {"items"} or a raw array, trimmed', () => {
    const want = [{ from: 'claude-opus', to: 'gpt-5' }];
    for (const body of [
      { value: [{ from: ' claude-opus ', to: 'gpt-5 ' }] },
      { items: [{ from: 'claude-opus', to: 'gpt-5' }] },
      [{ from: 'claude-opus', to: 'gpt-5', regex: false }],
    ]) {
      expect(value(readModelMappings(body))).toEqual(want);
    }
  });

  it('should keep a regex mapping whose pattern compiles', () => {
    expect(
      value(readModelMappings({ value: [{ from: '^claude-.*', to: 'x', regex: true }] })),
    ).toEqual([{ from: '^claude-.*', to: 'x', regex: true }]);
  });

  it('should answer 400 naming the bad mapping', () => {
    expect(readModelMappings({ value: [{ from: 'a', to: 'b' }, { from: 'c' }] })).toEqual({
      ok: false,
      status: 400,
      error: 'model-mappings[1] needs non-empty "from" and "to" strings',
    });
    expect(readModelMappings({ value: [{ from: '(', to: 'b', regex: true }] })).toMatchObject({
      error: 'model-mappings[0].from is not a valid regular expression',
    });
    expect(readModelMappings({ value: [{ from: 'a', to: 'b', regex: 'yes' }] })).toMatchObject({
      error: 'model-mappings[0].regex must be a boolean',
    });
    expect(readModelMappings({ value: 'a' })).toMatchObject({ status: 400 });
  });
});

describe(readUpstreamKeys.name, () => {
  it('should trim keys, drop entries without one and de-duplicate client keys', () => {
    expect(
      value(
        readUpstreamKeys({
          value: [
            { 'upstream-api-key': ' amp-a ', 'api-keys': [' k1', 'k1', '', 'k2'] },
            { 'upstream-api-key': '  ', 'api-keys': ['k3'] },
            { 'upstream-api-key': 'amp-b' },
          ],
        }),
      ),
    ).toEqual([
      { 'upstream-api-key': 'amp-a', 'api-keys': ['k1', 'k2'] },
      { 'upstream-api-key': 'amp-b', 'api-keys': [] },
    ]);
  });

  it('should answer 400 for client keys that are not a list of strings', () => {
    expect(readUpstreamKeys({ value: [{ 'upstream-api-key': 'a', 'api-keys': 'k' }] })).toEqual({
      ok: false,
      status: 400,
      error: 'upstream-api-keys[0].api-keys must be a list of strings',
    });
  });
});

describe(upsertBy.name, () => {
  it('should replace the entries with the same key and append the others, in order', () => {
    const current = [
      { from: 'a', to: '1' },
      { from: 'b', to: '2' },
    ];
    expect(
      upsertBy(
        current,
        [
          { from: 'b', to: '3' },
          { from: 'c', to: '4' },
          { from: 'c', to: '5' },
        ],
        'from',
      ),
    ).toEqual([
      { from: 'a', to: '1' },
      { from: 'b', to: '3' },
      { from: 'c', to: '5' },
    ]);
    expect(current[1]).toEqual({ from: 'b', to: '2' });
  });
});

describe(removeBy.name, () => {
  it('should drop the entries whose key is listed', () => {
    const current = [{ from: 'a' }, { from: ' b ' }, { from: 'c' }];
    expect(removeBy(current, new Set(['b', 'zz']), 'from')).toEqual([{ from: 'a' }, { from: 'c' }]);
    expect(removeBy(undefined, new Set(['a']), 'from')).toEqual([]);
  });
});

describe(readDeleteKeys.name, () => {
  it('should read the keys to remove, an empty list meaning all', () => {
    expect([...value(readDeleteKeys({ value: [' a ', 'b'] }, 'from'))]).toEqual(['a', 'b']);
    expect(value(readDeleteKeys({ value: [] }, 'from')).size).toBe(0);
  });

  it('should answer 400 rather than remove everything when the list is missing', () => {
    expect(readDeleteKeys(undefined, 'from')).toEqual({
      ok: false,
      status: 400,
      error: 'missing value: send {"value": ["<from>", …]}, or {"value": []} to remove every entry',
    });
    expect(readDeleteKeys({ value: ['  '] }, 'from')).toMatchObject({ error: 'empty value' });
    expect(readDeleteKeys({ value: [1] }, 'from')).toMatchObject({ status: 400 });
  });
});
