import { createContext, parseClientRequest, providerFor, type ProviderId } from '@app/llm';
import {
  countTokensBody,
  countTokensResponse,
  translateCount,
  upstreamCountsTokens,
} from '@app/proxy/count-tokens';

const ir = () =>
  parseClientRequest(
    'claude',
    { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'count me' }] },
    createContext({ upstreamModel: 'up-model' }),
  );

describe(upstreamCountsTokens.name, () => {
  it.each<[ProviderId, boolean]>([
    ['claude', true],
    ['gemini', true],
    ['vertex', true],
    ['gemini-cli', true],
    ['antigravity', false],
    ['codex', false],
    ['openai-compatibility', false],
    ['qwen', false],
  ])('should ask %s for counts: %p', (provider, expected) => {
    expect(upstreamCountsTokens(providerFor(provider))).toBe(expected);
  });
});

describe(countTokensBody.name, () => {
  const ctx = () => createContext({ upstreamModel: 'up-model' });

  it("should build each upstream's counting body from the same request", () => {
    const claude = countTokensBody('claude', { ...ir(), model: 'up-model' }, ctx());
    expect(claude).toMatchObject({ model: 'up-model', messages: [{ role: 'user' }] });
    expect(claude).not.toHaveProperty('max_tokens');
    const gemini = countTokensBody('gemini', { ...ir(), model: 'up-model' }, ctx());
    expect(gemini).toMatchObject({
      generateContentRequest: { model: 'models/up-model', contents: [{ role: 'user' }] },
    });
    const cli = countTokensBody('gemini-cli', { ...ir(), model: 'up-model' }, ctx());
    expect(cli).toEqual({
      request: { model: 'models/up-model', contents: [expect.objectContaining({ role: 'user' })] },
    });
  });
});

describe(translateCount.name, () => {
  it('should leave a same-format answer to be relayed as it is', () => {
    expect(translateCount('gemini', 'gemini', { totalTokens: 4 })).toBeUndefined();
    expect(translateCount('claude', 'claude', { input_tokens: 4 })).toBeUndefined();
  });

  it("should re-render another format's count in the client's format", () => {
    expect(translateCount('claude', 'gemini', { totalTokens: 12 })).toEqual({ input_tokens: 12 });
    expect(translateCount('claude', 'gemini-cli', { totalTokens: 3 })).toEqual({
      input_tokens: 3,
    });
    expect(translateCount('gemini', 'claude', { input_tokens: 7 })).toEqual({ totalTokens: 7 });
  });

  it('should refuse an answer without a count', () => {
    expect(() => translateCount('claude', 'gemini', { error: 'x' })).toThrow(/totalTokens/);
    expect(() => translateCount('gemini', 'claude', {})).toThrow(/input_tokens/);
  });
});

describe(countTokensResponse.name, () => {
  it('should render an estimate in the client format', () => {
    expect(countTokensResponse('claude', 5.4)).toEqual({ input_tokens: 5 });
    expect(countTokensResponse('gemini', 5.6)).toEqual({ totalTokens: 6 });
  });
});
