import { compatEntry, modelsText, parseModels, upstreamKeyEntry } from './config-forms';

const KEY = { apiKey: 'sk-ant-1', baseUrl: '', prefix: '', proxyUrl: '', priority: '', models: '' };

describe('upstreamKeyEntry', () => {
  it('should build the entry, keeping fields the form does not show', () => {
    const r = upstreamKeyEntry(
      'claude-api-key',
      0,
      { ...KEY, baseUrl: 'https://api.example.com', models: 'm1\nm2 = alias' },
      { headers: { 'x-a': '1' } },
    );
    expect(r).toEqual({
      ok: true,
      entry: {
        headers: { 'x-a': '1' },
        'api-key': 'sk-ant-1',
        'base-url': 'https://api.example.com',
        models: [{ name: 'm1' }, { name: 'm2', alias: 'alias' }],
      },
    });
  });

  it('should name the setting of each problem', () => {
    const r = upstreamKeyEntry('gemini-api-key', 3, {
      ...KEY,
      apiKey: '',
      baseUrl: 'ftp://x',
      priority: 'high',
    });
    expect(r).toEqual({
      ok: false,
      problems: {
        apiKey: 'gemini-api-key[3].api-key: must not be empty',
        baseUrl: 'gemini-api-key[3].base-url: must be an http(s) URL',
        priority: 'gemini-api-key[3].priority: must be a whole number',
      },
    });
  });
});

describe('compatEntry', () => {
  const form = {
    name: 'oai',
    baseUrl: 'http://x/v1',
    apiKeys: 'k1\nk2',
    prefix: '',
    models: 'gpt',
  };

  it('should build a provider and refuse a taken name or no models', () => {
    expect(compatEntry(0, form, [])).toMatchObject({
      ok: true,
      entry: { name: 'oai', 'api-key-entries': [{ 'api-key': 'k1' }, { 'api-key': 'k2' }] },
    });
    expect(compatEntry(1, form, ['OAI'])).toMatchObject({
      ok: false,
      problems: { name: 'openai-compatibility[1].name: another provider is already called oai' },
    });
    expect(compatEntry(0, { ...form, models: '' }, [])).toMatchObject({
      problems: { models: 'openai-compatibility[0].models: list at least one model' },
    });
  });
});

describe('parseModels', () => {
  it('should read and write name = alias lines', () => {
    const models = parseModels(' a \n\n b=c ');
    expect(models).toEqual([{ name: 'a' }, { name: 'b', alias: 'c' }]);
    expect(modelsText(models)).toBe('a\nb = c');
  });
});
