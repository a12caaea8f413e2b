import { loggedUrl, remoteAddress, type AddressedRequest } from '@app/proxy/request-origin';

function req(peer: string, forwardedFor?: string): AddressedRequest {
  return {
    socket: { remoteAddress: peer },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  };
}

describe(loggedUrl.name, () => {
  it('should keep a URL without a query as it is', () => {
    expect(loggedUrl('/v1/chat/completions')).toBe('/v1/chat/completions');
  });

  it('should mask credential parameters and keep the others', () => {
    const url = loggedUrl(
      '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIzaSyExampleExampleExample123',
    );
    expect(url).toMatch(/^\/v1beta\/models\/gemini-2\.5-pro:streamGenerateContent\?alt=sse&key=/);
    expect(url).not.toContain('AIzaSyExampleExampleExample123');
  });
});

describe(remoteAddress.name, () => {
  it('should take the socket peer unless it is a trusted proxy', () => {
    expect(remoteAddress(req('::ffff:127.0.0.1'), [])).toBe('127.0.0.1');
    expect(remoteAddress(req('10.0.0.5', '203.0.113.7'), [])).toBe('10.0.0.5');
    expect(remoteAddress(req('10.0.0.5', '203.0.113.7'), ['10.0.0.0/8'])).toBe('203.0.113.7');
  });
});
