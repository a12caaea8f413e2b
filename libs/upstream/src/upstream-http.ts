import { Agent, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';
import type { AbortSource } from '@app/upstream/abort-emitter';

/** Tuning of the keep-alive pools to upstreams. */
export interface UpstreamHttpOptions {
  /** Max sockets per upstream origin. */
  connections: number;
  /** Time to wait for response headers (the upstream's first byte). */
  headersTimeoutMs: number;
  /** Max idle time between body chunks (a stream that stalls this long is cut). */
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_UPSTREAM_HTTP: UpstreamHttpOptions = {
  connections: 256,
  headersTimeoutMs: 300_000,
  bodyTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
};

/** The proxy kinds a `proxy-url` may name. */
const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:', 'socks5h:']);

/** Validate a proxy URL; returns an error message or undefined. */
export function checkProxyUrl(proxyUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(proxyUrl);
  } catch {
    return `proxy-url "${proxyUrl}" is not a URL`;
  }
  if (!PROXY_SCHEMES.has(u.protocol)) {
    return `proxy-url scheme ${u.protocol} is not supported (use http, https or socks5)`;
  }
  return undefined;
}

/**
 * All upstream HTTP goes through here: one keep-alive pool for direct connections and one per
 * distinct proxy URL (http/https via CONNECT, socks5), created on first use and reused.
 */
export class UpstreamHttp {
  private readonly direct: Agent;
  private readonly proxied = new Map<string, Dispatcher>();
  /** Parsed upstream URLs: a handful of endpoints serve every request, so parse each once. */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(private readonly opts: UpstreamHttpOptions = DEFAULT_UPSTREAM_HTTP) {
    this.direct = new Agent(this.agentOptions());
  }

  private agentOptions(): Agent.Options {
    return {
      connections: this.opts.connections,
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs,
      connect: { timeout: this.opts.connectTimeoutMs },
    };
  }

  /** The dispatcher for a proxy URL ('' or undefined = direct). */
  dispatcher(proxyUrl?: string): Dispatcher {
    if (!proxyUrl) return this.direct;
    let d = this.proxied.get(proxyUrl);
    if (d) return d;
    const problem = checkProxyUrl(proxyUrl);
    if (problem) throw new Error(problem);
    const scheme = new URL(proxyUrl).protocol;
    d =
      scheme === 'socks5:' || scheme === 'socks5h:'
        ? new Socks5ProxyAgent(proxyUrl, {
            connections: this.opts.connections,
            headersTimeout: this.opts.headersTimeoutMs,
            bodyTimeout: this.opts.bodyTimeoutMs,
            keepAliveTimeout: this.opts.keepAliveTimeoutMs,
          })
        : new ProxyAgent({ uri: proxyUrl, ...this.agentOptions() });
    this.proxied.set(proxyUrl, d);
    return d;
  }

  /** Send a request; the body is streamed back (callers must consume or dump it). */
  request(
    url: string,
    init: {
      method: Dispatcher.HttpMethod;
      headers: Record<string, string>;
      body?: string | Buffer;
      /** Prefer an AbortEmitter on hot paths (see abort-emitter.ts). */
      signal?: AbortSource;
      proxyUrl?: string;
      headersTimeoutMs?: number;
    },
  ): Promise<Dispatcher.ResponseData> {
    const target = this.target(url);
    return this.dispatcher(init.proxyUrl).request({
      origin: target.origin,
      path: target.path,
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      headersTimeout: init.headersTimeoutMs,
    });
  }

  private target(url: string): { origin: string; path: string } {
    let t = this.targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: u.pathname + u.search };
      // URLs carrying per-request parts (query keys, ids) must not grow the cache without bound.
      if (this.targets.size >= 1024) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }

  /** Nest shutdown hook: close the pools. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxied.values()].map((d) => d.close())]);
    this.proxied.clear();
  }
}
