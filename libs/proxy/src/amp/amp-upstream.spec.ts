import { configSchema } from '@app/config';
import {
  ampRequestHeaders,
  ampResponseHeaders,
  ampTargetUrl,
  ampUpstreamKey,
  isGzipMagic,
  isKeylessAmpPath,
} from '@app/proxy/amp/amp-upstream';

describe('Amp upstream helpers', () => {
  describe(ampRequestHeaders.name, () => {
    it("should replace the client's keys with the Amp key and drop per-hop headers", () => {
      const sut = ampRequestHeaders(
        {
          authorization: 'Bearer client-key',
          'x-api-key': 'client-key',
          'x-goog-api-key': 'client-key',
          host: 'gateway:8317',
          connection: 'keep-alive, x-hop',
          'x-hop': 'drop me',
          'x-forwarded-for': '10.0.0.1',
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': '42',
          'x-amp-thread': 't1',
        },
        'amp-key',
      );
      expect(sut).toEqual({
        authorization: 'Bearer amp-key',
        'x-api-key': 'amp-key',
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': '42',
        'x-amp-thread': 't1',
      });
    });

    it('should send no key at all when none is configured', () => {
      const sut = ampRequestHeaders({ authorization: 'Bearer client-key' }, undefined);
      expect(sut).toEqual({});
    });
  });

  describe(ampResponseHeaders.name, () => {
    it('should keep content headers untouched and drop per-hop and CORS headers', () => {
      expect(
        ampResponseHeaders({
          'content-encoding': 'gzip',
          'content-length': '10',
          'transfer-encoding': 'chunked',
          'access-control-allow-origin': '*',
          'set-cookie': ['a=1', 'b=2'],
        }),
      ).toEqual({
        'content-encoding': 'gzip',
        'content-length': '10',
        'set-cookie': ['a=1', 'b=2'],
      });
    });
  });

  describe(ampTargetUrl.name, () => {
    it('should append the path and query to the base, keeping its path as a prefix', () => {
      expect(ampTargetUrl('https://amp.test/base/', '/api/user?x=1')).toBe(
        'https://amp.test/base/api/user?x=1',
      );
    });

    it("should drop key and auth_token values equal to the client's key only", () => {
      expect(
        ampTargetUrl(
          'http://a',
          '/api/meta?key=client&keep=1&auth_token=client&key=other',
          'client',
        ),
      ).toBe('http://a/api/meta?keep=1&key=other');
      expect(ampTargetUrl('http://a', '/api/meta?key=client', 'client')).toBe('http://a/api/meta');
    });
  });

  describe(ampUpstreamKey.name, () => {
    const amp = configSchema.parse({
      ampcode: {
        'upstream-api-key': 'default-amp',
        'upstream-api-keys': [{ 'upstream-api-key': 'team-amp', 'api-keys': ['client-a'] }],
      },
    }).ampcode;

    it('should pick the per-client key, then the default, then the environment', () => {
      expect(ampUpstreamKey(amp, 'client-a', {})).toBe('team-amp');
      expect(ampUpstreamKey(amp, 'client-b', {})).toBe('default-amp');
      const bare = configSchema.parse({}).ampcode;
      expect(ampUpstreamKey(bare, 'client-b', { AMP_API_KEY: 'env-amp' })).toBe('env-amp');
      expect(ampUpstreamKey(bare, undefined, {})).toBeUndefined();
    });
  });

  describe(isKeylessAmpPath.name, () => {
    it('should exempt the browser pages but not the feeds', () => {
      expect(isKeylessAmpPath('/threads')).toBe(true);
      expect(isKeylessAmpPath('/threads/T-1')).toBe(true);
      expect(isKeylessAmpPath('/auth/cli-login')).toBe(true);
      expect(isKeylessAmpPath('/threads.rss')).toBe(false);
      expect(isKeylessAmpPath('/api/threads')).toBe(false);
    });
  });

  describe(isGzipMagic.name, () => {
    it('should recognise the gzip header bytes', () => {
      expect(isGzipMagic(Buffer.from([0x1f, 0x8b, 8]))).toBe(true);
      expect(isGzipMagic(Buffer.from('{}'))).toBe(false);
      expect(isGzipMagic(undefined)).toBe(false);
    });
  });
});
