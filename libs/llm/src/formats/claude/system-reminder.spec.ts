import { createContext, type TranslationContext } from '@app/llm/codec';
import type { WireFormat } from '@app/llm/ir/types';
import { translateRequest } from '@app/llm/translate';
import { TranslationError } from '@app/llm/util/errors';
import { parseClaudeRequest } from '@app/llm/formats/claude/request';

/** Deep access into built bodies without a cast per line. */
type Loose = ReturnType<typeof JSON.parse>;

const ctx = (): TranslationContext => createContext({ upstreamModel: 'up-model' });

/** What Claude Code 2.1 sends: system-role messages between the turns of a conversation. */
const CLAUDE_CODE_BODY = {
  model: 'claude-opus-4-7',
  max_tokens: 512,
  system: [{ type: 'text', text: 'Top-level rules' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
    { role: 'system', content: 'String mid-conversation rule' },
    { role: 'assistant', content: [{ type: 'text', text: 'Hi there' }] },
    {
      role: 'system',
      content: [
        { type: 'text', text: 'Array mid-conversation rule', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'second line' },
      ],
    },
    { role: 'user', content: [{ type: 'text', text: 'Follow up' }] },
  ],
};

const STRING_REMINDER = '<system-reminder>\nString mid-conversation rule\n</system-reminder>';
const ARRAY_REMINDER =
  '<system-reminder>\nArray mid-conversation rule\nsecond line\n</system-reminder>';

/** Text of an OpenAI chat / Responses / Gemini message, whatever its content shape. */
function textOf(content: Loose): string {
  if (typeof content === 'string') return content;
  return (content as Loose[]).map((p: Loose) => p.text as string).join('');
}

describe('Claude mid-conversation system messages', () => {
  it('should read them as user turns wrapped in <system-reminder>, in place', () => {
    const ir = parseClaudeRequest(CLAUDE_CODE_BODY, ctx());
    expect(ir.system).toEqual([{ type: 'text', text: 'Top-level rules' }]);
    expect(ir.messages.map((m) => m.role)).toEqual(['user', 'user', 'assistant', 'user', 'user']);
    expect(ir.messages[1].content).toEqual([{ type: 'text', text: STRING_REMINDER }]);
    expect(ir.messages[3].content).toEqual([{ type: 'text', text: ARRAY_REMINDER }]);
  });

  it('should drop a system message without text', () => {
    const ir = parseClaudeRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'system', content: [{ type: 'image', source: { type: 'url', url: 'x' } }] },
          { role: 'system', content: '   ' },
        ],
      },
      ctx(),
    );
    expect(ir.messages).toHaveLength(1);
  });

  it('should become a user message for an OpenAI chat upstream', () => {
    const out = translateRequest('claude', 'openai', CLAUDE_CODE_BODY, ctx()) as Loose;
    const messages = out.messages as Loose[];
    expect(messages.map((m: Loose) => m.role)).toEqual([
      'system',
      'user',
      'user',
      'assistant',
      'user',
      'user',
    ]);
    expect(textOf(messages[0].content)).toBe('Top-level rules');
    expect(textOf(messages[2].content)).toBe(STRING_REMINDER);
    expect(textOf(messages[4].content)).toBe(ARRAY_REMINDER);
  });

  it.each<WireFormat>(['openai-responses', 'codex'])(
    'should become a user input message for a %s upstream',
    (target) => {
      const out = translateRequest('claude', target, CLAUDE_CODE_BODY, ctx()) as Loose;
      const texts = (out.input as Loose[])
        .filter((i: Loose) => i.role === 'user')
        .map((i: Loose) => textOf(i.content));
      expect(texts).toEqual(['Hello', STRING_REMINDER, ARRAY_REMINDER, 'Follow up']);
      expect(out.instructions).toBe('Top-level rules');
      expect(JSON.stringify(out.input)).not.toContain('Top-level rules');
    },
  );

  it.each<WireFormat>(['gemini', 'gemini-cli', 'antigravity'])(
    'should become user content for a %s upstream, the system prompt staying systemInstruction',
    (target) => {
      const out = translateRequest('claude', target, CLAUDE_CODE_BODY, ctx()) as Loose;
      const request = target === 'gemini' ? out : out.request;
      const contents = request.contents as Loose[];
      const userTexts = contents
        .filter((c: Loose) => c.role === 'user')
        .flatMap((c: Loose) => (c.parts as Loose[]).map((p: Loose) => p.text as string));
      expect(userTexts).toEqual(['Hello', STRING_REMINDER, ARRAY_REMINDER, 'Follow up']);
      expect(contents.some((c: Loose) => c.role === 'system')).toBe(false);
      expect(JSON.stringify(request.systemInstruction)).toContain('Top-level rules');
      expect(JSON.stringify(request.systemInstruction)).not.toContain('mid-conversation');
    },
  );

  it("should refuse other roles in the Messages API's wording, which clients' fallbacks match", () => {
    let error: unknown;
    try {
      parseClaudeRequest(
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'developer', content: 'b' },
          ],
        },
        ctx(),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TranslationError);
    const message = (error as TranslationError).message;
    expect(message).toContain('Unexpected role "developer"');
    // Claude Code retries without system-role messages when both phrases are present.
    expect(message).toContain('input message role');
    expect((error as TranslationError).path).toBe('messages[1].role');
  });

  it("should leave Claude Code's billing attribution out of the system prompt", () => {
    const ir = parseClaudeRequest(
      {
        model: 'm',
        system: [
          {
            type: 'text',
            text: 'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli',
          },
          { type: 'text', text: 'You are Claude Code.' },
        ],
        messages: [{ role: 'user', content: 'hi' }],
      },
      ctx(),
    );
    expect(ir.system).toEqual([{ type: 'text', text: 'You are Claude Code.' }]);
  });

  it('should name what only a Claude upstream can carry, for the debug log', () => {
    const c = ctx();
    parseClaudeRequest(
      {
        ...CLAUDE_CODE_BODY,
        context_management: { edits: [] },
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [
          ...CLAUDE_CODE_BODY.messages,
          { role: 'assistant', content: [{ type: 'server_tool_use', id: 's1', name: 'x' }] },
        ],
      },
      c,
    );
    expect(c.unmodelled).toEqual(
      expect.arrayContaining([
        'content block "server_tool_use"',
        'server tools',
        'field "context_management"',
      ]),
    );
  });
});
