import { Inject, Injectable, Optional } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { ConfigService } from '@app/config';
import { UpstreamHttp } from '@app/upstream';
import { versionFromFeed } from '@app/management/release-feed/release-feed';

/** The newest release the feed announced. */
export interface LatestRelease {
  version: string;
  /** Ms since epoch of the fetch that produced it. */
  checkedAt: number;
  /** True when it came from the cache instead of a fetch just now. */
  fromCache: boolean;
}

/** The feed could not be read or named no release; the message says which. */
export class ReleaseFeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseFeedError';
  }
}

/** Tuning (tests). */
export interface ReleaseFeedOptions {
  /** How long a fetched version is reused (default 1 h). */
  ttlMs?: number;
  /** Limit for one fetch (default 10 s). */
  timeoutMs?: number;
}

/** Injection token for ReleaseFeedOptions. */
export const RELEASE_FEED_OPTIONS = 'SB_RELEASE_FEED_OPTIONS';

const MAX_FEED_BYTES = 1024 * 1024;

function effectiveProxy(global: string): string | undefined {
  const p = global.trim();
  const lower = p.toLowerCase();
  return !p || lower === 'direct' || lower === 'none' ? undefined : p;
}

/**
 * The newest release named by `release-feed-url` (a GitHub "latest release" API URL by
 * default), fetched through the global `proxy-url` and cached for an hour per URL. Concurrent
 * callers share one fetch; failures are not cached. Used by `GET /v0/management/latest-version`
 * and the control API's update check.
 */
@Injectable()
export class ReleaseFeedService {
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private cached: { url: string; version: string; at: number } | undefined;
  private pending: { url: string; promise: Promise<LatestRelease> } | undefined;

  constructor(
    private readonly config: ConfigService,
    private readonly http: UpstreamHttp,
    @Optional() @Inject(RELEASE_FEED_OPTIONS) options: ReleaseFeedOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 3600_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The latest release, from the cache when fresh. Throws ReleaseFeedError. */
  async latest(now = Date.now()): Promise<LatestRelease> {
    const url = this.config.current['release-feed-url'].trim();
    if (!url) throw new ReleaseFeedError('release-feed-url is empty in config.yaml');
    const c = this.cached;
    if (c && c.url === url && now - c.at < this.ttlMs) {
      return { version: c.version, checkedAt: c.at, fromCache: true };
    }
    if (this.pending?.url === url) return this.pending.promise;
    const promise = this.fetch(url).finally(() => {
      if (this.pending?.promise === promise) this.pending = undefined;
    });
    this.pending = { url, promise };
    return promise;
  }

  private async fetch(url: string): Promise<LatestRelease> {
    let res;
    try {
      res = await this.http.request(url, {
        method: 'GET',
        headers: {
          accept: 'application/vnd.github+json, application/json',
          'user-agent': `switchboard/${buildInfo().version}`,
        },
        proxyUrl: effectiveProxy(this.config.current['proxy-url']),
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw new ReleaseFeedError(
        `release feed ${url} is unreachable: ${(err as Error).message || (err as Error).name}`,
      );
    }
    let text: string;
    try {
      text = await this.readCapped(res.body);
    } catch (err) {
      throw new ReleaseFeedError(`release feed ${url}: ${(err as Error).message}`);
    }
    if (res.statusCode !== 200) {
      throw new ReleaseFeedError(
        `release feed ${url} answered HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`,
      );
    }
    let version: string | undefined;
    try {
      version = versionFromFeed(JSON.parse(text));
    } catch {
      throw new ReleaseFeedError(`release feed ${url} did not answer JSON`);
    }
    if (!version) throw new ReleaseFeedError(`release feed ${url} names no release (no tag_name)`);
    const at = Date.now();
    this.cached = { url, version, at };
    return { version, checkedAt: at, fromCache: false };
  }

  private async readCapped(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_FEED_BYTES) {
        body.destroy();
        throw new Error('answer is larger than 1 MiB');
      }
      chunks.push(buf);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
