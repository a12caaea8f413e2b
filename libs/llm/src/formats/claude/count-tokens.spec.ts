import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';
import {
  buildClaudeCountTokensRequest,
  buildClaudeCountTokensResponse,
  parseClaudeCountTokensRequest,
  parseClaudeCountTokensResponse,
} from '@app/llm/formats/claude/count-tokens';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const fixture = (name: string): ReturnType<typeof JSON.parse> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctx = () => createContext({ upstreamModel: 'claude-sonnet-4-6' });

describe(parseClaudeCountTokensRequest.name, () => {
  it('should parse a body without max_tokens like a messages request', () => {
    const ir = parseClaudeCountTokensRequest(fixture('count-tokens-request.json'), ctx());
    expect(ir.system).toEqual([{ type: 'text', text: 'You are a scientist' }]);
    expect(ir.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hello, Claude' }] },
    ]);
    expect(ir.tools?.map((t) => t.name)).toEqual(['get_weather']);
    expect(ir.sampling.maxTokens).toBeUndefined();
    expect(ir.stream).toBe(false);
  });

  it('should reject a body that is not a messages body', () => {
    expect(() => parseClaudeCountTokensRequest({ messages: 'hi' }, ctx())).toThrow(
      TranslationError,
    );
  });
});

describe(buildClaudeCountTokensRequest.name, () => {
  it('should leave out the generation settings count_tokens rejects', () => {
    const c = ctx();
    const ir = parseClaudeCountTokensRequest(
      {
        ...fixture('count-tokens-request.json'),
        max_tokens: 100,
        temperature: 0.5,
        stream: true,
        metadata: { user_id: 'u' },
        thinking: { type: 'enabled', budget_tokens: 2048 },
      },
      c,
    );
    const body = buildClaudeCountTokensRequest(ir, c);
    expect(Object.keys(body).sort()).toEqual(['messages', 'model', 'system', 'thinking', 'tools']);
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });
});

describe(buildClaudeCountTokensResponse.name, () => {
  it('should render the count as Claude does and read it back', () => {
    const body = buildClaudeCountTokensResponse(403);
    expect(body).toEqual(fixture('count-tokens-response.json'));
    expect(parseClaudeCountTokensResponse(body)).toBe(403);
    expect(buildClaudeCountTokensResponse(12.6)).toEqual({ input_tokens: 13 });
  });

  it('should reject a response without a count', () => {
    expect(() => parseClaudeCountTokensResponse({ tokens: 1 })).toThrow(TranslationError);
  });
});
