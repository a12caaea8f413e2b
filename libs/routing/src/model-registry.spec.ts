import { Credential, type CredentialInit } from '@app/routing/credential.types';
import { catalog } from '@app/routing/model-catalog';
import { ModelRegistry } from '@app/routing/model-registry';
import type { RoutingConfig } from '@app/routing/routing-config';

let seq = 0;
function cred(over: Partial<CredentialInit> & Pick<CredentialInit, 'provider'>): Credential {
  seq++;
  const kind = over.kind ?? 'oauth';
  return new Credential({
    id: `test:${seq}`,
    indexSeed: `test:${seq}`,
    channel: over.provider,
    kind,
    source: kind === 'oauth' ? 'file' : 'config',
    label: `cred-${seq}`,
    secret: { accessToken: `t${seq}` },
    ...over,
  });
}

const ids = (list: readonly { credential: Credential }[]) => list.map((c) => c.credential.id);

describe(ModelRegistry.name, () => {
  it('should serve the channel catalog for an OAuth credential without models', () => {
    const c = cred({ provider: 'claude' });
    const sut = ModelRegistry.build([c], {});
    for (const m of catalog('claude')) {
      expect(sut.resolve(m.id)).toEqual([{ credential: c, upstreamModel: m.id, stateModel: m.id }]);
    }
    expect(sut.resolve('gpt-5')).toEqual([]);
  });

  it('should give gemini and vertex API keys the Gemini catalog and openai-compatibility only its models', () => {
    const gemini = cred({ provider: 'gemini', kind: 'api-key' });
    const vertex = cred({ provider: 'vertex', kind: 'api-key' });
    const compat = cred({
      provider: 'openai-compatibility',
      compatName: 'or',
      kind: 'api-key',
      models: [],
    });
    const sut = ModelRegistry.build([gemini, vertex, compat], {});
    expect(ids(sut.resolve('gemini-2.5-pro'))).toEqual([gemini.id, vertex.id]);
    expect(sut.modelsOf(compat.authIndex)).toEqual([]);
  });

  it('should serve explicit models under their alias and send the real name upstream', () => {
    const c = cred({
      provider: 'openai-compatibility',
      compatName: 'OpenRouter',
      kind: 'api-key',
      models: [{ name: 'moonshotai/kimi-k2', alias: 'kimi' }, { name: 'qwen/qwen3-coder' }],
    });
    const sut = ModelRegistry.build([c], {});
    expect(sut.resolve('kimi')).toEqual([
      { credential: c, upstreamModel: 'moonshotai/kimi-k2', stateModel: 'moonshotai/kimi-k2' },
    ]);
    expect(sut.resolve('moonshotai/kimi-k2')).toEqual([]);
    expect(sut.resolve('qwen/qwen3-coder')[0].upstreamModel).toBe('qwen/qwen3-coder');
    expect(sut.list().map((m) => m.id)).toEqual(['kimi', 'qwen/qwen3-coder']);
    expect(sut.list()[0]).toMatchObject({
      object: 'model',
      owned_by: 'OpenRouter',
      provider: 'OpenRouter',
    });
  });

  describe('exclusions', () => {
    it('should drop excluded-models by exact name and wildcards, case-insensitively', () => {
      const c = cred({
        provider: 'claude',
        kind: 'api-key',
        excludedModels: ['CLAUDE-3-*', '*-opus-*', '*haiku*', 'claude-sonnet-4-20250514'],
      });
      const served = ModelRegistry.build([c], {})
        .list()
        .map((m) => m.id);
      expect(served).toEqual([
        'claude-fable-5',
        'claude-sonnet-4-5-20250929',
        'claude-sonnet-4-6',
        'claude-sonnet-5',
      ]);
    });

    it('should apply oauth-excluded-models per channel to OAuth credentials only', () => {
      const oauth = cred({ provider: 'codex' });
      const apiKey = cred({ provider: 'codex', kind: 'api-key' });
      const config: RoutingConfig = { 'oauth-excluded-models': { codex: ['*-mini'] } };
      const sut = ModelRegistry.build([oauth, apiKey], config);
      expect(ids(sut.resolve('gpt-5.4-mini'))).toEqual([apiKey.id]);
      expect(ids(sut.resolve('gpt-5.5'))).toEqual([oauth.id, apiKey.id]);
    });

    it('should merge a file’s own exclusions with the global ones', () => {
      const c = cred({ provider: 'gemini-cli', excludedModels: ['gemini-2.5-pro'] });
      const sut = ModelRegistry.build([c], {
        'oauth-excluded-models': { 'gemini-cli': ['*-lite'] },
      });
      expect(sut.has('gemini-2.5-pro')).toBe(false);
      expect(sut.has('gemini-2.5-flash-lite')).toBe(false);
      expect(sut.has('gemini-2.5-flash')).toBe(true);
    });
  });

  describe('oauth-model-alias', () => {
    it('should replace the original name without fork', () => {
      const c = cred({ provider: 'codex' });
      const sut = ModelRegistry.build([c], {
        'oauth-model-alias': { codex: [{ name: 'gpt-5.5', alias: 'g5' }] },
      });
      expect(sut.resolve('g5')).toEqual([
        { credential: c, upstreamModel: 'gpt-5.5', stateModel: 'gpt-5.5' },
      ]);
      expect(sut.has('gpt-5.5')).toBe(false);
    });

    it('should keep the original name as well with fork: true', () => {
      const c = cred({ provider: 'codex' });
      const sut = ModelRegistry.build([c], {
        'oauth-model-alias': { codex: [{ name: 'GPT-5.5', alias: 'g5', fork: true }] },
      });
      expect(sut.resolve('g5')[0].upstreamModel).toBe('gpt-5.5');
      expect(sut.resolve('gpt-5.5')[0].upstreamModel).toBe('gpt-5.5');
    });

    it('should add several aliases for one model', () => {
      const c = cred({ provider: 'codex' });
      const sut = ModelRegistry.build([c], {
        'oauth-model-alias': {
          codex: [
            { name: 'gpt-5.5', alias: 'a', fork: true },
            { name: 'gpt-5.5', alias: 'b', fork: true },
          ],
        },
      });
      expect(['a', 'b', 'gpt-5.5'].map((m) => sut.resolve(m)[0]?.upstreamModel)).toEqual([
        'gpt-5.5',
        'gpt-5.5',
        'gpt-5.5',
      ]);
    });

    it('should only apply to the channel it is listed under, and not to API keys', () => {
      const oauth = cred({ provider: 'claude' });
      const apiKey = cred({ provider: 'codex', kind: 'api-key' });
      const sut = ModelRegistry.build([oauth, apiKey], {
        'oauth-model-alias': { codex: [{ name: 'gpt-5.5', alias: 'g5' }] },
      });
      expect(sut.has('g5')).toBe(false);
      expect(ids(sut.resolve('gpt-5.5'))).toEqual([apiKey.id]);
    });

    it('should not let an alias reach an excluded model', () => {
      const c = cred({ provider: 'codex', excludedModels: ['gpt-5.5'] });
      const sut = ModelRegistry.build([c], {
        'oauth-model-alias': { codex: [{ name: 'gpt-5.5', alias: 'g5', fork: true }] },
      });
      expect(sut.has('g5')).toBe(false);
      expect(sut.has('gpt-5.5')).toBe(false);
    });
  });

  describe('prefix', () => {
    const prefixed = cred({ provider: 'claude', prefix: 'team' });
    const plain = cred({ provider: 'claude' });
    const model = 'claude-sonnet-4-5-20250929';

    it('should serve a prefixed credential under both names by default', () => {
      const sut = ModelRegistry.build([prefixed, plain], {});
      expect(ids(sut.resolve(`team/${model}`))).toEqual([prefixed.id]);
      expect(ids(sut.resolve(model))).toEqual([prefixed.id, plain.id]);
      expect(sut.resolve(`team/${model}`)[0].upstreamModel).toBe(model);
    });

    it('should serve a prefixed credential only under the prefixed name with force-model-prefix', () => {
      const sut = ModelRegistry.build([prefixed, plain], { 'force-model-prefix': true });
      expect(ids(sut.resolve(`team/${model}`))).toEqual([prefixed.id]);
      expect(ids(sut.resolve(model))).toEqual([plain.id]);
      expect(sut.list().map((m) => m.id)).toContain(`team/${model}`);
    });
  });

  it('should order candidates by priority, then by credential order', () => {
    const low = cred({ provider: 'claude', priority: 0 });
    const high1 = cred({ provider: 'claude', priority: 10 });
    const high2 = cred({ provider: 'claude', priority: 10 });
    const sut = ModelRegistry.build([low, high1, high2], {});
    expect(ids(sut.resolve('claude-opus-4-5-20251101'))).toEqual([high1.id, high2.id, low.id]);
  });

  it('should let disabled credentials serve nothing', () => {
    const off = cred({ provider: 'kimi', disabled: true });
    const sut = ModelRegistry.build([off], {});
    expect(sut.size).toBe(0);
    expect(sut.list()).toEqual([]);
  });

  it('should still know the models of disabled credentials (503, not an unknown model)', () => {
    const off = cred({
      provider: 'claude',
      kind: 'api-key',
      disabled: true,
      models: [{ name: 'm' }],
    });
    const prefixed = cred({
      provider: 'gemini',
      kind: 'api-key',
      disabled: true,
      prefix: 'team',
      models: [{ name: 'g' }],
    });
    const sut = ModelRegistry.build([off, prefixed], {});
    expect(sut.has('m')).toBe(false);
    expect(sut.knows('m')).toBe(true);
    expect(sut.knows('m(high)')).toBe(true);
    expect(sut.knows('team/g')).toBe(true);
    expect(sut.knows('m', { provider: 'claude' })).toBe(true);
    expect(sut.knows('m', { provider: 'gemini' })).toBe(false);
    expect(sut.knows('other')).toBe(false);
  });

  it('should pin candidates to one provider or openai-compatibility entry name', () => {
    const claude = cred({ provider: 'claude', kind: 'api-key', models: [{ name: 'm' }] });
    const compat = cred({
      provider: 'openai-compatibility',
      compatName: 'OpenRouter',
      kind: 'api-key',
      models: [{ name: 'm' }],
    });
    const sut = ModelRegistry.build([claude, compat], {});
    expect(ids(sut.resolve('m'))).toEqual([claude.id, compat.id]);
    expect(ids(sut.resolve('m', { provider: 'claude' }))).toEqual([claude.id]);
    expect(ids(sut.resolve('m', { provider: 'openrouter' }))).toEqual([compat.id]);
    expect(ids(sut.resolve('m', { provider: 'openai-compatibility' }))).toEqual([compat.id]);
    expect(sut.resolve('m', { provider: 'gemini' })).toEqual([]);
    expect(sut.list({ provider: 'gemini' })).toEqual([]);
    expect(sut.list({ provider: 'claude' }).map((m) => m.id)).toEqual(['m']);
  });

  it('should look up a thinking-suffixed name by its base and keep the suffix upstream', () => {
    const c = cred({ provider: 'codex' });
    const sut = ModelRegistry.build([c], {
      'oauth-model-alias': { codex: [{ name: 'gpt-5.5', alias: 'g5' }] },
    });
    expect(sut.resolve('g5(high)')).toEqual([
      { credential: c, upstreamModel: 'gpt-5.5(high)', stateModel: 'gpt-5.5' },
    ]);
    expect(sut.resolve('g5(8192)')[0].upstreamModel).toBe('gpt-5.5(8192)');
    // Unknown suffix text is part of the name, so nothing serves it.
    expect(sut.resolve('g5(banana)')).toEqual([]);
  });

  it('should return the same cached array for repeated plain lookups (no per-request allocation)', () => {
    const sut = ModelRegistry.build([cred({ provider: 'claude' })], {});
    expect(sut.resolve('claude-opus-4-5-20251101')).toBe(sut.resolve('claude-opus-4-5-20251101'));
  });

  it('should list exactly what can be served, sorted, with catalog metadata', () => {
    const c = cred({ provider: 'kimi' });
    const sut = ModelRegistry.build([c], {});
    const list = sut.list();
    expect(list.map((m) => m.id)).toEqual([...catalog('kimi').map((m) => m.id)].sort());
    const k2 = list.find((m) => m.id === 'kimi-k2')!;
    const meta = catalog('kimi').find((m) => m.id === 'kimi-k2')!;
    expect(k2).toEqual({
      id: 'kimi-k2',
      object: 'model',
      created: meta.created,
      owned_by: meta.owned_by,
      provider: 'kimi',
      display_name: meta.display_name,
    });
    for (const m of list) expect(sut.has(m.id)).toBe(true);
  });

  it('should be empty when built from nothing', () => {
    expect(ModelRegistry.empty().resolve('x')).toEqual([]);
    expect(ModelRegistry.build([], {}).list()).toEqual([]);
  });
});
