import { Readable } from 'node:stream';
import type { ConfigService } from '@app/config';
import type { UpstreamHttp } from '@app/upstream';
import {
  ReleaseFeedError,
  ReleaseFeedService,
} from '@app/management/release-feed/release-feed.service';

type Answer = { status: number; body: string } | Error;

describe(ReleaseFeedService.name, () => {
  let sut: ReleaseFeedService;
  let answers: Answer[];
  let requested: { url: string; init: Record<string, unknown> }[];
  let feedUrl: string;
  let proxy: string;

  beforeEach(() => {
    answers = [];
    requested = [];
    feedUrl = 'http://feed.test/latest';
    proxy = '';
    const http = {
      request: async (url: string, init: Record<string, unknown>) => {
        requested.push({ url, init });
        const a = answers.shift() ?? { status: 200, body: '{"tag_name":"v1.0.0"}' };
        if (a instanceof Error) throw a;
        return { statusCode: a.status, headers: {}, body: Readable.from([Buffer.from(a.body)]) };
      },
    } as unknown as UpstreamHttp;
    const config = {
      get current() {
        return { 'release-feed-url': feedUrl, 'proxy-url': proxy };
      },
    } as unknown as ConfigService;
    sut = new ReleaseFeedService(config, http, { ttlMs: 1000 });
  });

  it('should fetch once and serve the cache until the TTL passes', async () => {
    answers.push({ status: 200, body: '{"tag_name":"v6.9.2"}' });
    const first = await sut.latest(0);
    expect(first).toMatchObject({ version: 'v6.9.2', fromCache: false });
    const second = await sut.latest(first.checkedAt + 500);
    expect(second).toEqual({ version: 'v6.9.2', checkedAt: first.checkedAt, fromCache: true });
    expect(requested).toHaveLength(1);
    answers.push({ status: 200, body: '{"tag_name":"v6.9.3"}' });
    expect((await sut.latest(first.checkedAt + 1001)).version).toBe('v6.9.3');
    expect(requested).toHaveLength(2);
  });

  it('should share one fetch between concurrent callers', async () => {
    const [a, b] = await Promise.all([sut.latest(), sut.latest()]);
    expect(a.version).toBe(b.version);
    expect(requested).toHaveLength(1);
  });

  it('should refetch at once when the feed URL changes', async () => {
    await sut.latest();
    feedUrl = 'http://other.test/latest';
    await sut.latest();
    expect(requested.map((r) => r.url)).toEqual([
      'http://feed.test/latest',
      'http://other.test/latest',
    ]);
  });

  it('should go through the global proxy unless it is direct', async () => {
    proxy = 'http://proxy:3128';
    await sut.latest();
    expect(requested[0].init.proxyUrl).toBe('http://proxy:3128');
  });

  it.each([
    [new Error('connect ECONNREFUSED 127.0.0.1:1'), /unreachable: connect ECONNREFUSED/],
    [{ status: 404, body: 'Not Found' }, /answered HTTP 404: Not Found/],
    [{ status: 200, body: '<html>' }, /did not answer JSON/],
    [{ status: 200, body: '{"assets":[]}' }, /names no release/],
  ])('should fail with a clear message (%#) and not cache the failure', async (answer, message) => {
    answers.push(answer);
    await expect(sut.latest()).rejects.toThrow(ReleaseFeedError);
    answers.push(answer);
    await expect(sut.latest()).rejects.toThrow(message);
    expect((await sut.latest()).version).toBe('v1.0.0');
  });
});
