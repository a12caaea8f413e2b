import { catalogFor, catalogModel, parseCatalogs, useCatalogs } from '@app/routing/model-catalog';

describe(parseCatalogs.name, () => {
  afterEach(() => useCatalogs(undefined));

  it('should replace the named catalogs and keep the built-in ones for the rest', () => {
    const builtInClaude = catalogFor('claude');
    const parsed = parseCatalogs({
      kimi: [{ id: 'kimi-k9', display_name: 'Kimi K9', owned_by: 'moonshot', created: 1 }],
    });
    if ('error' in parsed) throw new Error(parsed.error);
    useCatalogs(parsed.catalogs);
    expect(catalogFor('kimi').map((m) => m.id)).toEqual(['kimi-k9']);
    expect(catalogModel('kimi-k9', 'kimi')?.display_name).toBe('Kimi K9');
    expect(catalogFor('claude')).toEqual(builtInClaude);
    useCatalogs(undefined);
    expect(catalogModel('kimi-k9')).toBeUndefined();
  });

  it('should refuse unknown catalog names and malformed models', () => {
    expect(parseCatalogs({ klaude: [] })).toEqual({
      error: expect.stringMatching(/unknown catalog "klaude"/),
    });
    expect(parseCatalogs({ claude: [{ id: 'x' }] })).toEqual({
      error: expect.stringMatching(/catalog "claude"\[0\] needs id, display_name/),
    });
    expect(parseCatalogs([])).toEqual({ error: expect.stringMatching(/JSON object/) });
  });
});
