import { pickRequestId } from '@app/gateway/http/http-hooks';
import { errorFormatForPath } from '@app/gateway/http/error.filter';

describe('gateway http helpers', () => {
  const gen = () => 'generated';

  it('should keep a sane incoming request id', () => {
    expect(pickRequestId('abc-123_x.y:z', gen)).toBe('abc-123_x.y:z');
  });

  it('should replace missing, oversized or unsafe request ids', () => {
    expect(pickRequestId(undefined, gen)).toBe('generated');
    expect(pickRequestId('a'.repeat(200), gen)).toBe('generated');
    expect(pickRequestId('bad\r\nheader: injected', gen)).toBe('generated');
  });

  it('should pick the error format from the route family', () => {
    expect(errorFormatForPath('/v1/messages')).toBe('claude');
    expect(errorFormatForPath('/v1/messages/count_tokens?x=1')).toBe('claude');
    expect(errorFormatForPath('/v1beta/models/gemini-pro:generateContent')).toBe('gemini');
    expect(errorFormatForPath('/v1/chat/completions')).toBe('openai');
    expect(errorFormatForPath('/api/provider/anthropic/v1/messages')).toBe('claude');
    // The endpoint decides, not the pinned provider: the proxy answers the same way.
    expect(errorFormatForPath('/api/provider/openai/v1/messages')).toBe('claude');
    expect(errorFormatForPath('/api/provider/x/messages/count_tokens')).toBe('claude');
    expect(errorFormatForPath('/api/provider/gemini/v1/chat/completions')).toBe('openai');
    expect(errorFormatForPath('/api/provider/claude/v1/responses')).toBe('openai');
    expect(errorFormatForPath('/api/provider/codex/v1beta/models/m:generateContent')).toBe(
      'gemini',
    );
    expect(errorFormatForPath('/api/provider//v1beta/models/m')).toBe('gemini');
    expect(errorFormatForPath('/v1/messagesx')).toBe('openai');
    expect(errorFormatForPath('/status')).toBe('plain');
    expect(errorFormatForPath('/v0/management/usage')).toBe('management');
  });
});
