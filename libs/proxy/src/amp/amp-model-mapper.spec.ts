import { configSchema } from '@app/config';
import { AmpModelMapper, ampModelMapperFor } from '@app/proxy/amp/amp-model-mapper';

const mapper = (list: { from: string; to: string; regex?: boolean }[]) =>
  AmpModelMapper.compile(list.map((m) => ({ regex: false, ...m })));

describe(AmpModelMapper.name, () => {
  it('should map an exact name case-insensitively', () => {
    const sut = mapper([{ from: 'Claude-Opus-4', to: 'claude-sonnet-4' }]);
    expect(sut.map('claude-opus-4')).toBe('claude-sonnet-4');
    expect(sut.map('CLAUDE-OPUS-4')).toBe('claude-sonnet-4');
    expect(sut.map('claude-opus-4-1')).toBeUndefined();
  });

  it('should try exact names before regexes, and regexes in order', () => {
    const sut = mapper([
      { from: '^gpt-5.*', to: 'first-regex', regex: true },
      { from: 'gpt', to: 'second-regex', regex: true },
      { from: 'gpt-5-mini', to: 'exact' },
    ]);
    expect(sut.map('gpt-5-mini')).toBe('exact');
    expect(sut.map('gpt-5-nano')).toBe('first-regex');
    expect(sut.map('my-gpt')).toBe('second-regex');
  });

  it('should match regexes case-insensitively anywhere in the name', () => {
    const sut = mapper([{ from: 'opus', to: 'claude-sonnet-4', regex: true }]);
    expect(sut.map('claude-OPUS-4-5')).toBe('claude-sonnet-4');
  });

  it('should keep the thinking suffix unless the target has its own', () => {
    const sut = mapper([
      { from: 'alias-a', to: 'gemini-2.5-pro' },
      { from: 'alias-b', to: 'gemini-2.5-pro(8192)' },
    ]);
    expect(sut.map('alias-a(high)')).toBe('gemini-2.5-pro(high)');
    expect(sut.map('alias-b(high)')).toBe('gemini-2.5-pro(8192)');
    expect(sut.map('alias-a')).toBe('gemini-2.5-pro');
  });

  it('should skip an invalid regex and report it', () => {
    const sut = mapper([
      { from: '(unclosed', to: 'x', regex: true },
      { from: 'ok', to: 'y' },
    ]);
    expect(sut.warnings).toEqual([expect.stringContaining('invalid regex (unclosed')]);
    expect(sut.map('ok')).toBe('y');
  });

  it('should be empty without mappings', () => {
    const sut = mapper([]);
    expect(sut.empty).toBe(true);
    expect(sut.map('anything')).toBeUndefined();
  });
});

describe('ampcode config validation', () => {
  it('should refuse an invalid regex mapping and a non-URL upstream, naming the path', () => {
    const r = configSchema.safeParse({
      ampcode: {
        'upstream-url': 'not a url',
        'model-mappings': [{ from: '(unclosed', to: 'x', regex: true }],
      },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'ampcode.model-mappings.0.from',
      'ampcode.upstream-url',
    ]);
  });

  it('should accept an exact mapping whose name is not a regex', () => {
    const r = configSchema.safeParse({
      ampcode: { 'model-mappings': [{ from: '(not-a-regex', to: 'x' }] },
    });
    expect(r.success).toBe(true);
  });
});

describe(ampModelMapperFor.name, () => {
  it('should compile once per config version', () => {
    const cfg = configSchema.parse({ ampcode: { 'model-mappings': [{ from: 'a', to: 'b' }] } });
    expect(ampModelMapperFor(cfg)).toBe(ampModelMapperFor(cfg));
    expect(ampModelMapperFor(cfg).map('a')).toBe('b');
  });
});
