import { passthroughHeaders } from '@app/proxy/passthrough-headers';

describe(passthroughHeaders.name, () => {
  it('should keep rate-limit headers, retry hints and request ids only', () => {
    const sut = passthroughHeaders({
      'x-ratelimit-remaining-requests': '99',
      'anthropic-ratelimit-tokens-reset': '2025-01-01T00:00:00Z',
      'retry-after': '3',
      'request-id': 'req_1',
      'set-cookie': ['a=b'],
      'content-encoding': 'gzip',
      'content-length': '12',
      server: 'upstream',
    });
    expect(sut).toEqual({
      'x-ratelimit-remaining-requests': '99',
      'anthropic-ratelimit-tokens-reset': '2025-01-01T00:00:00Z',
      'retry-after': '3',
      'request-id': 'req_1',
    });
  });

  it("should rename the upstream's x-request-id so the gateway's own id stays", () => {
    expect(passthroughHeaders({ 'x-request-id': 'up-1' })).toEqual({
      'x-upstream-request-id': 'up-1',
    });
  });

  it('should join repeated values and match names case-insensitively', () => {
    expect(passthroughHeaders({ 'X-RateLimit-Limit': ['1', '2'] })).toEqual({
      'x-ratelimit-limit': '1, 2',
    });
  });

  it('should return undefined when nothing qualifies', () => {
    expect(passthroughHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
