import type { IRRequest, IRTool } from '@app/llm/ir/types';
import {
  estimateTokens,
  FILE_TOKEN_ESTIMATE,
  IMAGE_TOKEN_ESTIMATE,
} from '@app/llm/util/token-estimate';

function request(patch: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'm',
    system: [],
    messages: [],
    sampling: {},
    stream: false,
    sourceFormat: 'openai',
    extra: {},
    ...patch,
  };
}

const say = (text: string): IRRequest['messages'][number] => ({
  role: 'user',
  content: [{ type: 'text', text }],
});

describe(estimateTokens.name, () => {
  it('should charge only the fixed overhead for an empty request', () => {
    expect(estimateTokens(request())).toBe(3);
  });

  it('should count English text at about four characters per token', () => {
    const base = estimateTokens(request({ messages: [say('')] }));
    const text = 'a'.repeat(4000);
    expect(estimateTokens(request({ messages: [say(text)] })) - base).toBe(1000);
  });

  it('should charge more per character for CJK and other non-ASCII text', () => {
    const base = estimateTokens(request({ messages: [say('')] }));
    expect(estimateTokens(request({ messages: [say('你好世界')] })) - base).toBe(4);
    expect(estimateTokens(request({ messages: [say('привет')] })) - base).toBe(3);
  });

  it('should count system text, tool calls and tool results', () => {
    const ir = request({
      system: [{ type: 'text', text: 'x'.repeat(400) }],
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_call', id: 'c', name: 'abcd', arguments: 'y'.repeat(396) }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              callId: 'c',
              content: [{ type: 'text', text: 'z'.repeat(800) }],
            },
          ],
        },
      ],
    });
    // 3 + system (4 + 100) + call message (4 + 1 + 99 + 8) + result message (4 + 8 + 200)
    expect(estimateTokens(ir)).toBe(431);
  });

  it('should charge a fixed cost per image and per binary file, and text files by size', () => {
    const base = estimateTokens(request({ messages: [{ role: 'user', content: [] }] }));
    const withMedia = estimateTokens(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
              {
                type: 'file',
                source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' },
              },
              {
                type: 'file',
                source: { kind: 'base64', mediaType: 'text/plain', data: 'A'.repeat(1600) },
              },
            ],
          },
        ],
      }),
    );
    expect(withMedia - base).toBe(IMAGE_TOKEN_ESTIMATE + FILE_TOKEN_ESTIMATE + 300);
  });

  it('should count tool declarations', () => {
    const tool: IRTool = {
      name: 'get_weather',
      description: 'Get the weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const one = estimateTokens(request({ tools: [tool] }));
    const two = estimateTokens(request({ tools: [tool, { ...tool, name: 'get_forecast' }] }));
    expect(one).toBeGreaterThan(150);
    expect(two - one).toBeGreaterThan(20);
  });

  it('should not count reasoning from earlier turns and be deterministic', () => {
    const plain = request({ messages: [say('hello there')] });
    const withReasoning = request({
      messages: [
        say('hello there'),
        { role: 'assistant', content: [{ type: 'reasoning', text: 'r'.repeat(10000) }] },
      ],
    });
    expect(estimateTokens(withReasoning)).toBe(estimateTokens(plain) + 4);
    expect(estimateTokens(withReasoning)).toBe(estimateTokens(withReasoning));
  });
});
