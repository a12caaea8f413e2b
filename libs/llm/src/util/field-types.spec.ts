import { createContext, parseClientRequest } from '@app/llm';
import { checkFieldTypes } from '@app/llm/util/field-types';
import { TranslationError } from '@app/llm/util/errors';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TranslationError) return err.message;
    throw err;
  }
  throw new Error('expected a TranslationError');
}

const CHAT = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const CLAUDE = { model: 'm', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const GEMINI = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

describe(checkFieldTypes.name, () => {
  it.each([
    ['openai', { ...CHAT, stream: 'yes' }, "'stream': expected a boolean, but got a string"],
    [
      'openai',
      { ...CHAT, max_tokens: { n: 5 } },
      "'max_tokens': expected an integer, but got an object",
    ],
    ['openai', { ...CHAT, max_tokens: 1.5 }, "'max_tokens': expected an integer, but got a number"],
    ['openai', { ...CHAT, temperature: '0.2' }, "'temperature': expected a number"],
    ['openai', { ...CHAT, stop: 5 }, "'stop': expected a string or an array, but got an integer"],
    ['openai-completions', { model: 'm', prompt: 'p', stream: 1 }, "'stream': expected a boolean"],
    ['openai-responses', { model: 'm', input: 'p', max_output_tokens: '9' }, "'max_output_tokens'"],
    ['openai-responses', { model: 'm', input: 7 }, "'input': expected a string or an array"],
    ['claude', { ...CLAUDE, stream: 'true' }, "'stream': expected a boolean"],
    [
      'claude',
      { ...CLAUDE, max_tokens: [1] },
      "'max_tokens': expected an integer, but got an array",
    ],
    ['claude', { ...CLAUDE, system: 3 }, "'system': expected a string or an array"],
    ['gemini', { ...GEMINI, generationConfig: 'hot' }, "'generationConfig': expected an object"],
    [
      'gemini',
      { ...GEMINI, generationConfig: { maxOutputTokens: '8' } },
      "'generationConfig.maxOutputTokens': expected an integer, but got a string",
    ],
    [
      'gemini-cli',
      { model: 'm', request: { ...GEMINI, generationConfig: { temperature: true } } },
      "'request.generationConfig.temperature': expected a number, but got a boolean",
    ],
  ] as const)(
    'should refuse %s bodies with a wrongly typed field (%j)',
    (format, body, message) => {
      expect(refusal(() => checkFieldTypes(format, body))).toContain(`Invalid type for ${message}`);
    },
  );

  it.each([
    ['openai', { ...CHAT, stream: true, max_tokens: 5, stop: ['a'], tool_choice: 'auto' }],
    ['openai', { ...CHAT, stream: null, max_tokens: null, temperature: 1, user: 'u' }],
    ['openai-responses', { model: 'm', input: [{ role: 'user', content: 'x' }], stream: false }],
    ['claude', { ...CLAUDE, system: [{ type: 'text', text: 's' }], top_k: 3, unknown: 'kept' }],
    ['gemini', { ...GEMINI, systemInstruction: 'be brief', generationConfig: { topK: 40 } }],
  ] as const)('should let well-typed %s bodies through', (format, body) => {
    expect(() => checkFieldTypes(format, body)).not.toThrow();
  });

  it('should run on the way into the IR', () => {
    const ctx = createContext({ upstreamModel: 'm' });
    expect(refusal(() => parseClientRequest('openai', { ...CHAT, stream: 'yes' }, ctx))).toMatch(
      /^Invalid type for 'stream'/,
    );
  });
});
