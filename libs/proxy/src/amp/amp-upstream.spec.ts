import { configSchema } from '@app/config';
import {
  ampRequestHeaders,
  ampResponseHeaders,
  ampTargetUrl,
  ampUpgradeResponseHead,
  ampUpstreamKey,
  isGatewayApiPath,
  isAmpNamespacePath,
  isGzipMagic,
  isKeylessAmpPath,
  isKnownAmpApiPath,
  pathOfUrl,
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
      expect(isKeylessAmpPath('/pricing')).toBe(true);
      expect(isKeylessAmpPath('/projects/p-1')).toBe(true);
      expect(isKeylessAmpPath('/threads.rss')).toBe(false);
      expect(isKeylessAmpPath('/api/threads')).toBe(false);
    });
  });

  describe(isGatewayApiPath.name, () => {
    it("should claim the cluster and control trees, not Amp's namespace", () => {
      expect(isGatewayApiPath('/api/v1')).toBe(true);
      expect(isGatewayApiPath('/api/v1/processes/gateway-1')).toBe(true);
      expect(isGatewayApiPath('/api/cliproxy/proxy-status')).toBe(true);
      expect(isGatewayApiPath('/api/v1beta')).toBe(false);
      expect(isGatewayApiPath('/api/thread-actors')).toBe(false);
      expect(isGatewayApiPath('/api/provider/openai/v1/embeddings')).toBe(false);
    });
  });

  describe(isKnownAmpApiPath.name, () => {
    it('should know the Amp trees that hint at a missing upstream URL', () => {
      expect(isKnownAmpApiPath('/api/internal')).toBe(true);
      expect(isKnownAmpApiPath('/api/thread-actors/T-1')).toBe(true);
      expect(isKnownAmpApiPath('/api/internals')).toBe(false);
      expect(isKnownAmpApiPath('/api/unknown')).toBe(false);
    });
  });

  describe(isAmpNamespacePath.name, () => {
    it("should own /api/ but the gateway's trees and model routes, /actors, the pages and feeds", () => {
      for (const p of [
        '/api/thread-actors',
        '/api/anything/new',
        '/api/provider/google/v1beta1/publishers/google/models/m:generateContent',
        '/actors',
        '/actors/gateway/threadActor/websocket/',
        '/threads/T-1',
        '/projects',
        '/auth/cli-login',
        '/news.rss',
      ])
        expect(isAmpNamespacePath(p)).toBe(true);
      for (const p of [
        '/api/v1/status',
        '/api/cliproxy/config.yaml',
        '/api/provider/anthropic/v1/messages',
        '/v1/messages',
        '/actorsx',
        '/threadsx',
      ])
        expect(isAmpNamespacePath(p)).toBe(false);
    });
  });

  describe(pathOfUrl.name, () => {
    it('should drop the query', () => {
      expect(pathOfUrl('/api/internal?getUserInfo')).toBe('/api/internal');
      expect(pathOfUrl('/actors')).toBe('/actors');
      expect(pathOfUrl(undefined)).toBe('/');
    });
  });

  describe(ampUpgradeResponseHead.name, () => {
    it("should relay the upstream's handshake headers as sent", () => {
      expect(
        ampUpgradeResponseHead({
          upgrade: 'websocket',
          connection: 'Upgrade',
          'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
          'sec-websocket-protocol': 'rivet',
          'set-cookie': ['a=1', 'b=2'],
          'x-skipped': undefined,
        }),
      ).toBe(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'upgrade: websocket\r\nconnection: Upgrade\r\n' +
          'sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
          'sec-websocket-protocol: rivet\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n',
      );
    });

    it('should never write a header that would split the response', () => {
      expect(ampUpgradeResponseHead({ 'x-evil': 'a\r\nx-injected: 1', ok: 'yes' })).toBe(
        'HTTP/1.1 101 Switching Protocols\r\nok: yes\r\n\r\n',
      );
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
