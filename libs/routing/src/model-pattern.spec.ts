import { compileModelPatterns, matchesModelPattern } from '@app/routing/model-pattern';

describe(matchesModelPattern.name, () => {
  it.each([
    ['gemini-2.5-pro', 'gemini-2.5-pro', true],
    ['gemini-2.5-pro', 'gemini-2.5-pro-preview', false],
    ['gemini-*', 'gemini-2.5-flash', true],
    ['gemini-*', 'gemini-', true],
    ['gemini-*', 'claude-gemini-x', false],
    ['*-preview', 'gemini-3-pro-preview', true],
    ['*-preview', 'gemini-3-pro-preview-2', false],
    ['*flash*', 'gemini-2.5-flash-lite', true],
    ['*flash*', 'flash', true],
    ['*flash*', 'gemini-pro', false],
    ['gpt-*-codex*', 'gpt-5.1-codex-mini', true],
    ['gpt-*-codex*', 'gpt-codex', false],
    ['a*a', 'a', false],
    ['*', 'anything', true],
    ['GEMINI-*', 'gemini-2.5-pro', true],
    ['gemini-*', 'Gemini-2.5-Pro', true],
  ])('pattern %p against %p → %p', (pattern, model, expected) => {
    expect(matchesModelPattern(pattern, model)).toBe(expected);
  });
});

describe(compileModelPatterns.name, () => {
  it('should match any of several patterns, case-insensitively', () => {
    const sut = compileModelPatterns(['claude-3-*', ' *-haiku-* ', 'Gpt-5']);
    expect(sut('claude-3-7-sonnet-20250219')).toBe(true);
    expect(sut('claude-haiku-4-5-20251001')).toBe(true);
    expect(sut('GPT-5')).toBe(true);
    expect(sut('gpt-5.1')).toBe(false);
    expect(sut('claude-sonnet-4-5-20250929')).toBe(false);
  });

  it('should match nothing for an empty or blank list', () => {
    expect(compileModelPatterns([])('x')).toBe(false);
    expect(compileModelPatterns(['', '  '])('')).toBe(false);
  });
});
