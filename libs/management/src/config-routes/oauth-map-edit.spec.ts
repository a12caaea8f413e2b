import type { EditResult } from '@app/management/config-routes/list-edit';
import {
  deleteExcludedModels,
  deleteModelAliases,
  normalizeExcludedModels,
  normalizeModelAliases,
  patchExcludedModels,
  patchModelAliases,
  readExcludedModels,
  readModelAliases,
} from '@app/management/config-routes/oauth-map-edit';

function value<T>(r: EditResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.status} ${r.error}`);
  return r.value;
}

describe(normalizeExcludedModels.name, () => {
  it('should lower-case channels, trim and de-duplicate models, and drop empty lists', () => {
    expect(
      value(
        normalizeExcludedModels({
          ' Codex ': [' gpt-5 ', 'GPT-5', '', 'gpt-4o'],
          codex: ['gpt-4o', 'o3'],
          claude: [],
        }),
      ),
    ).toEqual({ codex: ['gpt-5', 'gpt-4o', 'o3'] });
  });

  it('should refuse a channel whose value is not a list of names', () => {
    expect(normalizeExcludedModels({ codex: 'gpt-5' })).toEqual({
      ok: false,
      status: 400,
      error: 'oauth-excluded-models.codex must be a list of model names',
    });
    expect(normalizeExcludedModels({ codex: ['a', 3] })).toMatchObject({
      error: 'oauth-excluded-models.codex[1] must be a string',
    });
  });

  it('should skip malformed channels of the file when lenient', () => {
    expect(value(normalizeExcludedModels({ codex: null, claude: ['x'] }, true))).toEqual({
      claude: ['x'],
    });
  });
});

describe(readExcludedModels.name, () => {
  it('should take the map itself or inside {"items"}', () => {
    expect(value(readExcludedModels({ items: { codex: ['a'] } }))).toEqual({ codex: ['a'] });
    expect(value(readExcludedModels({ codex: ['a'] }))).toEqual({ codex: ['a'] });
    expect(readExcludedModels(['codex'])).toMatchObject({ status: 400 });
  });
});

describe(patchExcludedModels.name, () => {
  const current = { codex: ['gpt-5'], Claude: ['opus'] };

  it("should set one provider's list, normalizing the rest of the map", () => {
    expect(value(patchExcludedModels(current, { provider: 'GEMINI-CLI', models: ['g'] }))).toEqual({
      codex: ['gpt-5'],
      claude: ['opus'],
      'gemini-cli': ['g'],
    });
  });

  it('should remove the provider when the list is empty, 404 when it was not there', () => {
    expect(value(patchExcludedModels(current, { provider: 'codex', models: [] }))).toEqual({
      claude: ['opus'],
    });
    expect(patchExcludedModels(current, { provider: 'qwen' })).toEqual({
      ok: false,
      status: 404,
      error: 'provider not found',
    });
  });

  it('should answer 400 for a body without a provider', () => {
    expect(patchExcludedModels(current, { models: ['x'] })).toMatchObject({ status: 400 });
    expect(patchExcludedModels(current, { provider: '  ' })).toEqual({
      ok: false,
      status: 400,
      error: 'invalid provider',
    });
    expect(patchExcludedModels(current, { provider: 'codex', models: 'x' })).toMatchObject({
      status: 400,
    });
  });
});

describe(deleteExcludedModels.name, () => {
  it('should remove ?provider= (any case)', () => {
    expect(
      value(deleteExcludedModels({ codex: ['a'], qwen: ['b'] }, { provider: 'Codex' })),
    ).toEqual({ qwen: ['b'] });
  });

  it('should answer 400 without a provider and 404 for one not in the map', () => {
    expect(deleteExcludedModels({}, {})).toMatchObject({ status: 400, error: 'missing provider' });
    expect(deleteExcludedModels(undefined, { provider: 'codex' })).toMatchObject({
      status: 404,
      error: 'provider not found',
    });
  });
});

describe(normalizeModelAliases.name, () => {
  it('should keep complete items, trimmed, with the first mapping of each alias', () => {
    expect(
      value(
        normalizeModelAliases({
          Codex: [
            { name: ' gpt-5 ', alias: ' g5 ', fork: false },
            { name: 'gpt-5-mini', alias: 'G5' },
            { name: 'o3', alias: '' },
            { name: 'o4', alias: 'o4x', fork: true },
          ],
        }),
      ),
    ).toEqual({
      codex: [
        { name: 'gpt-5', alias: 'g5' },
        { name: 'o4', alias: 'o4x', fork: true },
      ],
    });
  });

  it('should refuse items of the wrong shape', () => {
    expect(normalizeModelAliases({ codex: [{ name: 'a', alias: 'b', fork: 'yes' }] })).toEqual({
      ok: false,
      status: 400,
      error:
        'oauth-model-alias.codex[0] must be {"name": "…", "alias": "…"} with an optional boolean "fork"',
    });
    expect(normalizeModelAliases({ codex: { name: 'a' } })).toMatchObject({ status: 400 });
  });
});

describe(readModelAliases.name, () => {
  it('should take the map itself or inside {"items"}', () => {
    const map = { codex: [{ name: 'a', alias: 'b' }] };
    expect(value(readModelAliases(map))).toEqual(map);
    expect(value(readModelAliases({ items: map }))).toEqual(map);
  });
});

describe(patchModelAliases.name, () => {
  const current = { codex: [{ name: 'a', alias: 'b' }] };

  it('should set a channel named by channel or by provider', () => {
    const aliases = [{ name: 'x', alias: 'y' }];
    expect(value(patchModelAliases(current, { channel: 'Claude', aliases }))).toEqual({
      ...current,
      claude: aliases,
    });
    expect(value(patchModelAliases(current, { provider: 'codex', aliases }))).toEqual({
      codex: aliases,
    });
  });

  it('should remove the channel when no alias is left, 404 when it was not there', () => {
    expect(value(patchModelAliases(current, { channel: 'codex', aliases: [] }))).toEqual({});
    expect(patchModelAliases(current, { channel: 'qwen', aliases: [] })).toMatchObject({
      status: 404,
      error: 'channel not found',
    });
  });

  it('should answer 400 without a channel', () => {
    expect(patchModelAliases(current, { aliases: [] })).toEqual({
      ok: false,
      status: 400,
      error: 'invalid channel',
    });
  });
});

describe(deleteModelAliases.name, () => {
  it('should remove ?channel= or ?provider=', () => {
    const current = { codex: [{ name: 'a', alias: 'b' }], qwen: [{ name: 'c', alias: 'd' }] };
    expect(Object.keys(value(deleteModelAliases(current, { channel: 'codex' })))).toEqual(['qwen']);
    expect(Object.keys(value(deleteModelAliases(current, { provider: 'qwen' })))).toEqual([
      'codex',
    ]);
  });

  it('should answer 400 without a channel and 404 for an unknown one', () => {
    expect(deleteModelAliases({}, {})).toMatchObject({ status: 400, error: 'missing channel' });
    expect(deleteModelAliases({}, { channel: 'codex' })).toMatchObject({ status: 404 });
  });
});
