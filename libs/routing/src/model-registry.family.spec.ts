import { Credential, type CredentialInit } from '@app/routing/credential.types';
import { catalogModel } from '@app/routing/model-catalog';
import { familyMatcher, nativeFamily } from '@app/routing/model-family';
import { ModelRegistry } from '@app/routing/model-registry';

let seq = 0;
function cred(over: Partial<CredentialInit> & Pick<CredentialInit, 'provider'>): Credential {
  seq++;
  const kind = over.kind ?? 'oauth';
  return new Credential({
    id: `fam:${seq}`,
    indexSeed: `fam:${seq}`,
    channel: over.provider,
    kind,
    source: kind === 'oauth' ? 'file' : 'config',
    label: `cred-${seq}`,
    secret: { accessToken: `t${seq}` },
    ...over,
  });
}

const ids = (list: readonly { credential: Credential }[]) => list.map((c) => c.credential.id);

// Names newer than every catalog: what a client released after the gateway asks for.
const NEW_CLAUDE = 'claude-opus-5-5';
const NEW_GEMINI = 'gemini-9-flash';
const NEW_GPT = 'gpt-7';

describe(`${ModelRegistry.name} family fallback`, () => {
  beforeAll(() => {
    // The premise of every test here: no catalog lists these names.
    for (const m of [NEW_CLAUDE, NEW_GEMINI, NEW_GPT]) expect(catalogModel(m)).toBeUndefined();
  });

  it('should serve a new claude-* name on a Claude API key without models, as sent and unlisted', () => {
    const key = cred({ provider: 'claude', kind: 'api-key' });
    const sut = ModelRegistry.build([key], {});
    const sizeBefore = sut.size;
    expect(sut.resolve(NEW_CLAUDE)).toEqual([
      { credential: key, upstreamModel: NEW_CLAUDE, stateModel: NEW_CLAUDE },
    ]);
    expect(sut.has(NEW_CLAUDE)).toBe(true);
    expect(sut.knows(NEW_CLAUDE)).toBe(true);
    expect(sut.list().map((m) => m.id)).not.toContain(NEW_CLAUDE);
    expect(sut.modelsOf(key.authIndex)).not.toContain(NEW_CLAUDE);
    expect(sut.size).toBe(sizeBefore);
  });

  it('should serve it on a Claude OAuth account as well', () => {
    const oauth = cred({ provider: 'claude' });
    expect(ids(ModelRegistry.build([oauth], {}).resolve(NEW_CLAUDE))).toEqual([oauth.id]);
  });

  it('should serve exactly the models of a credential with an explicit list', () => {
    const listed = cred({
      provider: 'claude',
      kind: 'api-key',
      models: [{ name: 'claude-sonnet-4-6', alias: 'sonnet' }],
    });
    const sut = ModelRegistry.build([listed], {});
    expect(sut.resolve(NEW_CLAUDE)).toEqual([]);
    expect(sut.knows(NEW_CLAUDE)).toBe(false);
  });

  it('should give each vendor its own family only', () => {
    const claude = cred({ provider: 'claude', kind: 'api-key' });
    const gemini = cred({ provider: 'gemini', kind: 'api-key' });
    const vertex = cred({ provider: 'vertex' });
    const geminiCli = cred({ provider: 'gemini-cli' });
    const codex = cred({ provider: 'codex' });
    const codexKey = cred({ provider: 'codex', kind: 'api-key' });
    const sut = ModelRegistry.build([claude, gemini, vertex, geminiCli, codex, codexKey], {});
    expect(ids(sut.resolve(NEW_CLAUDE))).toEqual([claude.id]);
    expect(ids(sut.resolve(NEW_GEMINI))).toEqual([gemini.id, vertex.id, geminiCli.id]);
    expect(ids(sut.resolve(NEW_GPT))).toEqual([codex.id, codexKey.id]);
    expect(ids(sut.resolve('codex-next'))).toEqual([codex.id, codexKey.id]);
    expect(sut.resolve('o9-mini')).toEqual([]);
    expect(sut.knows('llama-9')).toBe(false);
  });

  it('should never let Antigravity, Kimi, Qwen, iFlow, the AI Studio relay or an OpenAI-compatible host swallow a family', () => {
    for (const p of ['antigravity', 'kimi', 'qwen', 'iflow', 'aistudio'] as const) {
      expect(nativeFamily(p)).toEqual([]);
      expect(familyMatcher(p)).toBeUndefined();
    }
    const others = [
      cred({ provider: 'antigravity' }),
      cred({ provider: 'aistudio' }),
      cred({ provider: 'kimi' }),
      cred({
        provider: 'openai-compatibility',
        compatName: 'OpenRouter',
        kind: 'api-key',
        models: [],
      }),
    ];
    const sut = ModelRegistry.build(others, {});
    for (const m of [NEW_CLAUDE, NEW_GEMINI, NEW_GPT]) {
      expect(sut.resolve(m)).toEqual([]);
      expect(sut.knows(m)).toBe(false);
    }
  });

  describe('priority', () => {
    it('should let an explicit mapping of the name win over the family', () => {
      const key = cred({ provider: 'claude', kind: 'api-key', priority: 10 });
      const compat = cred({
        provider: 'openai-compatibility',
        compatName: 'Relay',
        kind: 'api-key',
        models: [{ name: 'some/opus', alias: NEW_CLAUDE }],
      });
      const sut = ModelRegistry.build([key, compat], {});
      expect(sut.resolve(NEW_CLAUDE)).toEqual([
        { credential: compat, upstreamModel: 'some/opus', stateModel: 'some/opus' },
      ]);
    });

    it('should let a catalog match win, and pinning the family owner reach it', () => {
      // Antigravity's catalog names this Claude model; Anthropic's does not.
      const name = 'claude-opus-4-6-thinking';
      expect(catalogModel(name, 'antigravity')?.owned_by).toBe('antigravity');
      const agy = cred({ provider: 'antigravity' });
      const key = cred({ provider: 'claude', kind: 'api-key', priority: 5 });
      const sut = ModelRegistry.build([agy, key], {});
      expect(ids(sut.resolve(name))).toEqual([agy.id]);
      expect(ids(sut.resolve(name, { provider: 'claude' }))).toEqual([key.id]);
      expect(ids(sut.resolve(name, { provider: 'antigravity' }))).toEqual([agy.id]);
      // The pinned listing stays what the pinned provider lists.
      expect(sut.list({ provider: 'claude' }).map((m) => m.id)).not.toContain(name);
    });

    it('should order family candidates by priority, then credential order', () => {
      const low = cred({ provider: 'claude', kind: 'api-key' });
      const high = cred({ provider: 'claude', priority: 3 });
      const off = cred({ provider: 'claude', priority: 9, disabled: true });
      const sut = ModelRegistry.build([low, off, high], {});
      expect(ids(sut.resolve(NEW_CLAUDE))).toEqual([high.id, low.id]);
    });
  });

  describe('exclusions and aliases', () => {
    it("should respect a credential's excluded-models", () => {
      const key = cred({ provider: 'claude', kind: 'api-key', excludedModels: ['claude-opus-*'] });
      const sut = ModelRegistry.build([key], {});
      expect(sut.resolve(NEW_CLAUDE)).toEqual([]);
      expect(sut.knows(NEW_CLAUDE)).toBe(false);
      expect(ids(sut.resolve('claude-sonnet-9'))).toEqual([key.id]);
    });

    it('should respect oauth-excluded-models for OAuth accounts only', () => {
      const oauth = cred({ provider: 'gemini-cli' });
      const key = cred({ provider: 'gemini', kind: 'api-key' });
      const sut = ModelRegistry.build([oauth, key], {
        'oauth-excluded-models': { 'gemini-cli': ['*-flash'] },
      });
      expect(ids(sut.resolve(NEW_GEMINI))).toEqual([key.id]);
      expect(ids(sut.resolve('gemini-9-pro'))).toEqual([oauth.id, key.id]);
    });

    it('should let oauth-model-alias name a family model no catalog lists', () => {
      const oauth = cred({ provider: 'claude' });
      const sut = ModelRegistry.build([oauth], {
        'oauth-model-alias': { claude: [{ name: NEW_CLAUDE, alias: 'opus' }] },
      });
      expect(sut.resolve('opus')).toEqual([
        { credential: oauth, upstreamModel: NEW_CLAUDE, stateModel: NEW_CLAUDE },
      ]);
      expect(sut.list().map((m) => m.id)).toContain('opus');
      // Without fork the alias replaces the name, also for the family fallback.
      expect(sut.resolve(NEW_CLAUDE)).toEqual([]);

      const forked = ModelRegistry.build([oauth], {
        'oauth-model-alias': { claude: [{ name: NEW_CLAUDE, alias: 'opus', fork: true }] },
      });
      expect(ids(forked.resolve(NEW_CLAUDE))).toEqual([oauth.id]);
      expect(ids(forked.resolve('opus'))).toEqual([oauth.id]);
    });
  });

  describe('names', () => {
    it('should keep a thinking suffix upstream and key state on the name without it', () => {
      const key = cred({ provider: 'claude', kind: 'api-key' });
      const sut = ModelRegistry.build([key], {});
      expect(sut.resolve(`${NEW_CLAUDE}(high)`)).toEqual([
        { credential: key, upstreamModel: `${NEW_CLAUDE}(high)`, stateModel: NEW_CLAUDE },
      ]);
      expect(sut.resolve(`${NEW_CLAUDE}(8192)`)[0].stateModel).toBe(NEW_CLAUDE);
    });

    it('should serve a prefixed credential under its prefix, and only there with force-model-prefix', () => {
      const team = cred({ provider: 'claude', kind: 'api-key', prefix: 'team' });
      const plain = cred({ provider: 'claude', kind: 'api-key' });
      const sut = ModelRegistry.build([team, plain], {});
      expect(sut.resolve(`team/${NEW_CLAUDE}`)).toEqual([
        { credential: team, upstreamModel: NEW_CLAUDE, stateModel: NEW_CLAUDE },
      ]);
      expect(ids(sut.resolve(NEW_CLAUDE))).toEqual([team.id, plain.id]);
      expect(sut.resolve(`other/${NEW_CLAUDE}`)).toEqual([]);

      const forced = ModelRegistry.build([team, plain], { 'force-model-prefix': true });
      expect(ids(forced.resolve(NEW_CLAUDE))).toEqual([plain.id]);
      expect(ids(forced.resolve(`team/${NEW_CLAUDE}`))).toEqual([team.id]);
    });

    it('should pin the fallback to a provider', () => {
      const claude = cred({ provider: 'claude', kind: 'api-key' });
      const gemini = cred({ provider: 'gemini', kind: 'api-key' });
      const sut = ModelRegistry.build([claude, gemini], {});
      expect(ids(sut.resolve(NEW_CLAUDE, { provider: 'claude' }))).toEqual([claude.id]);
      expect(sut.resolve(NEW_CLAUDE, { provider: 'gemini' })).toEqual([]);
      expect(sut.knows(NEW_CLAUDE, { provider: 'gemini' })).toBe(false);
    });

    it('should return the same frozen array for repeated lookups of one name', () => {
      const sut = ModelRegistry.build([cred({ provider: 'claude', kind: 'api-key' })], {});
      const first = sut.resolve(NEW_CLAUDE);
      expect(sut.resolve(NEW_CLAUDE)).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect(sut.resolve(NEW_CLAUDE, { provider: 'claude' })).not.toBe(first);
    });

    it('should stay correct past the memo bound', () => {
      const key = cred({ provider: 'claude', kind: 'api-key' });
      const sut = ModelRegistry.build([key], {});
      for (let i = 0; i < 1500; i++) expect(ids(sut.resolve(`claude-x-${i}`))).toEqual([key.id]);
      expect(ids(sut.resolve('claude-x-0'))).toEqual([key.id]);
      expect(sut.resolve('not-claude-0')).toEqual([]);
    });
  });

  it('should know a family name served only by disabled credentials (503, not 400)', () => {
    const off = cred({ provider: 'claude', kind: 'api-key', disabled: true });
    const sut = ModelRegistry.build([off], {});
    expect(sut.has(NEW_CLAUDE)).toBe(false);
    expect(sut.knows(NEW_CLAUDE)).toBe(true);
    expect(sut.knows(`${NEW_CLAUDE}(high)`)).toBe(true);
    expect(sut.knows(NEW_CLAUDE, { provider: 'claude' })).toBe(true);
    expect(sut.knows(NEW_CLAUDE, { provider: 'codex' })).toBe(false);
    expect(sut.knows(NEW_GEMINI)).toBe(false);
  });

  it('should tell which routes are family-only (their 404 benches nothing)', () => {
    const key = cred({ provider: 'claude', kind: 'api-key' });
    const listed = cred({ provider: 'claude', kind: 'api-key', models: [{ name: NEW_CLAUDE }] });
    const sut = ModelRegistry.build([key, listed], {});
    expect(sut.servesByFamilyOnly(key.authIndex, NEW_CLAUDE)).toBe(true);
    expect(sut.servesByFamilyOnly(key.authIndex, `${NEW_CLAUDE}(high)`)).toBe(true);
    expect(sut.servesByFamilyOnly(key.authIndex, 'claude-opus-5')).toBe(false);
    expect(sut.servesByFamilyOnly(key.authIndex, NEW_GPT)).toBe(false);
    expect(sut.servesByFamilyOnly(listed.authIndex, NEW_CLAUDE)).toBe(false);
    expect(sut.servesByFamilyOnly('unknown', NEW_CLAUDE)).toBe(false);
  });
});
