import { AmpModelMapper } from '@app/proxy/amp/amp-model-mapper';
import { decideAmpRoute, type AmpRouteInput } from '@app/proxy/amp/amp-route';

/** Local credentials: provider → models it serves. */
const LOCAL: Record<string, string[]> = {
  claude: ['claude-sonnet-4'],
  codex: ['gpt-5'],
};

const serves = (model: string, provider: string | undefined): boolean => {
  const base = model.replace(/\(.*\)$/, '');
  return Object.entries(LOCAL).some(
    ([p, models]) => (provider === undefined || provider === p) && models.includes(base),
  );
};

function input(over: Partial<AmpRouteInput>): AmpRouteInput {
  return {
    model: 'claude-sonnet-4',
    pinned: 'claude',
    serves,
    mapper: AmpModelMapper.compile([
      { from: 'claude-opus-4', to: 'claude-sonnet-4', regex: false },
      { from: 'gpt-5', to: 'claude-sonnet-4', regex: false },
      { from: 'unserved-source', to: 'nowhere', regex: false },
    ]),
    forceMappings: false,
    upstream: true,
    ...over,
  };
}

describe(decideAmpRoute.name, () => {
  it('should serve locally with the pin when the pinned provider serves the model', () => {
    expect(decideAmpRoute(input({}))).toEqual({ kind: 'local', provider: 'claude' });
  });

  it('should serve locally from another provider when the pinned one does not', () => {
    expect(decideAmpRoute(input({ model: 'gpt-5', pinned: 'openai-compatibility' }))).toEqual({
      kind: 'local',
      provider: undefined,
    });
  });

  it('should follow a mapping when nothing serves the requested model', () => {
    expect(decideAmpRoute(input({ model: 'claude-opus-4(high)' }))).toEqual({
      kind: 'mapped',
      model: 'claude-sonnet-4(high)',
      provider: 'claude',
    });
  });

  it('should prefer a local credential over a mapping unless mappings are forced', () => {
    expect(decideAmpRoute(input({ model: 'gpt-5', pinned: 'codex' }))).toEqual({
      kind: 'local',
      provider: 'codex',
    });
    expect(decideAmpRoute(input({ model: 'gpt-5', pinned: 'codex', forceMappings: true }))).toEqual(
      { kind: 'mapped', model: 'claude-sonnet-4', provider: undefined },
    );
  });

  it('should ignore a mapping whose target nothing serves and go to Amp', () => {
    expect(decideAmpRoute(input({ model: 'unserved-source' }))).toEqual({ kind: 'upstream' });
  });

  it('should go to Amp for an unknown unmapped model, or leave it to the proxy without Amp', () => {
    expect(decideAmpRoute(input({ model: 'mystery-model' }))).toEqual({ kind: 'upstream' });
    expect(decideAmpRoute(input({ model: 'mystery-model', upstream: false }))).toEqual({
      kind: 'unserved',
    });
  });

  it('should let the proxy answer a request without a model', () => {
    expect(decideAmpRoute(input({ model: '' }))).toEqual({ kind: 'local', provider: 'claude' });
  });
});
