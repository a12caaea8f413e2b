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
    expect(errorFormatForPath('/status')).toBe('plain');
    expect(errorFormatForPath('/v0/management/usage')).toBe('management');
  });
});
