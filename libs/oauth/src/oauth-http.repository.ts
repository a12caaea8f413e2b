import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { UpstreamHttp } from '@app/upstream';

/** One HTTP call to an OAuth or quota endpoint. */
export interface OAuthHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Outbound proxy of the credential (`proxy_url`), if any. */
  proxyUrl?: string;
  signal?: AbortSignal;
}

/** The whole response, read into memory (token and quota answers are small). */
export interface OAuthHttpResponse {
  status: number;
  text: string;
}

/** What token-client and the quota fetchers need from HTTP; tests pass a stub. */
export interface OAuthHttp {
  send(req: OAuthHttpRequest): Promise<OAuthHttpResponse>;
}

/** Token endpoints answer in seconds; a hung one must not hold a refresh lock for minutes. */
const TIMEOUT_MS = 30_000;
/** Larger answers are not token or quota payloads; stop reading. */
const MAX_BODY_BYTES = 1 << 20;

/** OAuth and quota HTTP through undici keep-alive pools (per proxy URL). */
@Injectable()
export class OAuthHttpRepository implements OAuthHttp, OnApplicationShutdown {
  private readonly http = new UpstreamHttp({
    connections: 16,
    headersTimeoutMs: TIMEOUT_MS,
    bodyTimeoutMs: TIMEOUT_MS,
    connectTimeoutMs: 10_000,
    keepAliveTimeoutMs: 10_000,
  });

  /** Send one request and read the body as text. */
  async send(req: OAuthHttpRequest): Promise<OAuthHttpResponse> {
    const res = await this.http.request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      proxyUrl: req.proxyUrl,
      signal: req.signal ?? AbortSignal.timeout(TIMEOUT_MS),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        break;
      }
      chunks.push(chunk);
    }
    return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}
