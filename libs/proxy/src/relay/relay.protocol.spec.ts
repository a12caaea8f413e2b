import {
  httpRequestMessage,
  isTerminal,
  parseRelayMessage,
  relayError,
  relayHead,
} from '@app/proxy/relay/relay.protocol';

describe('relay protocol', () => {
  describe(parseRelayMessage.name, () => {
    it('should read id, type and payload', () => {
      expect(parseRelayMessage('{"id":"1","type":"stream_chunk","payload":{"data":"x"}}')).toEqual({
        id: '1',
        type: 'stream_chunk',
        payload: { data: 'x' },
      });
    });

    it('should refuse text that is not a relay message', () => {
      expect(parseRelayMessage('not json')).toBeUndefined();
      expect(parseRelayMessage('[1,2]')).toBeUndefined();
      expect(parseRelayMessage('{"id":"1"}')).toBeUndefined();
    });
  });

  describe(httpRequestMessage.name, () => {
    it('should carry method, url, body and headers as value lists', () => {
      const sut = httpRequestMessage('r1', {
        method: 'POST',
        url: 'https://generativelanguage.googleapis.com/v1beta/models/m:generateContent',
        headers: { 'content-type': 'application/json' },
        body: '{"contents":[]}',
      });
      expect(sut).toEqual({
        id: 'r1',
        type: 'http_request',
        payload: {
          method: 'POST',
          url: 'https://generativelanguage.googleapis.com/v1beta/models/m:generateContent',
          headers: { 'content-type': ['application/json'] },
          body: '{"contents":[]}',
          sent_at: expect.any(String) as unknown,
        },
      });
    });
  });

  describe(relayHead.name, () => {
    it('should read status and headers (lists or single values, names lower-cased)', () => {
      expect(
        relayHead({
          status: 429,
          headers: {
            'Retry-After': ['3'],
            'X-Many': ['a', 'b'],
            'Content-Type': 'application/json',
          },
        }),
      ).toEqual({
        status: 429,
        headers: { 'retry-after': '3', 'x-many': ['a', 'b'], 'content-type': 'application/json' },
      });
    });

    it('should default to 200 and map nonsense statuses to 502', () => {
      expect(relayHead(undefined)).toEqual({ status: 200, headers: {} });
      expect(relayHead({ status: 42 }).status).toBe(502);
    });
  });

  describe(relayError.name, () => {
    it('should keep an HTTP error status and drop anything else', () => {
      expect(relayError({ error: 'quota', status: 429 })).toEqual({
        message: 'quota',
        status: 429,
      });
      expect(relayError({ error: 'boom', status: 200 })).toEqual({ message: 'boom' });
      expect(relayError(undefined)).toEqual({ message: 'relay upstream error' });
    });
  });

  describe(isTerminal.name, () => {
    it('should end a request on http_response, stream_end and error only', () => {
      expect(['http_response', 'stream_end', 'error'].every(isTerminal)).toBe(true);
      expect(['stream_start', 'stream_chunk', 'pong'].some(isTerminal)).toBe(false);
    });
  });
});
