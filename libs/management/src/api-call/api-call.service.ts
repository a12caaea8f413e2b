import { Inject, Injectable, Optional } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError, managementError } from '@app/common';
import { ConfigService } from '@app/config';
import { CredentialService, type Credential } from '@app/routing';
import { UpstreamHttp } from '@app/upstream';
import { refusedAddress, refusedHost } from '@app/management/api-call/address-policy';
import {
  outgoingHeaders,
  parseApiCallBody,
  responseHeaders,
  usesToken,
} from '@app/management/api-call/api-call.request';

/** What `POST /v0/management/api-call` answers when the call itself went through. */
export interface ApiCallResult {
  status_code: number;
  header: Record<string, string[]>;
  body: string;
}

/** Resolves a host name to its addresses (tests pass their own). */
export type HostResolver = (host: string) => Promise<string[]>;

/** Injection token for a HostResolver. */
export const API_CALL_RESOLVER = 'SB_API_CALL_RESOLVER';

/** Whole-call limit (CLIProxyAPI's 60 s). */
export const API_CALL_TIMEOUT_MS = 60_000;
/** Largest response body relayed back. */
export const API_CALL_MAX_BODY = 16 * 1024 * 1024;

const IPV6_BRACKETS = /^\[|\]$/g;

const defaultResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** `direct`/`none` on a credential mean "no proxy, not even the global one". */
function effectiveProxy(own: string | undefined, global: string): string | undefined {
  const pick = own?.trim() || global.trim();
  if (!pick) return undefined;
  const lower = pick.toLowerCase();
  return lower === 'direct' || lower === 'none' ? undefined : pick;
}

function isTimeout(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * Makes an HTTP request on behalf of a management client with a credential's token (`$TOKEN$`
 * in header values) through the credential's proxy (else the global `proxy-url`). Only http(s);
 * link-local and cloud metadata addresses are refused, by name, by IP literal and after DNS
 * when the call goes direct (loopback and private networks stay reachable).
 */
@Injectable()
export class ApiCallService {
  private readonly resolve: HostResolver;

  constructor(
    private readonly credentials: CredentialService,
    private readonly config: ConfigService,
    private readonly http: UpstreamHttp,
    @Optional() @Inject(API_CALL_RESOLVER) resolver?: HostResolver,
  ) {
    this.resolve = resolver ?? defaultResolver;
  }

  /** Run one api-call body; throws AppError (400/404/502) when it cannot. */
  async call(body: unknown): Promise<ApiCallResult> {
    const parsed = parseApiCallBody(body);
    if (!parsed.ok) throw managementError(400, parsed.error);
    const input = parsed.input;

    let credential: Credential | undefined;
    if (input.authIndex) {
      credential = this.credentials.snapshot().byAuthIndex.get(input.authIndex);
      if (!credential) {
        throw managementError(
          404,
          `no credential with auth_index "${input.authIndex.slice(0, 64)}" (GET /v0/management/auth-files lists them)`,
        );
      }
    }
    let token: string | undefined;
    if (usesToken(input.header)) {
      if (!credential) throw managementError(400, '$TOKEN$ in a header needs an auth_index');
      token = credential.token;
      if (!token) throw managementError(400, 'auth token not found');
    }

    const proxyUrl = effectiveProxy(credential?.proxyUrl, this.config.current['proxy-url']);
    await this.checkDestination(input.url, proxyUrl !== undefined);

    let res;
    try {
      res = await this.http.request(input.url.href, {
        method: input.method,
        headers: outgoingHeaders(input.header, token),
        body: input.data,
        proxyUrl,
        signal: AbortSignal.timeout(API_CALL_TIMEOUT_MS),
        headersTimeoutMs: API_CALL_TIMEOUT_MS,
      });
    } catch (err) {
      throw managementError(
        502,
        isTimeout(err)
          ? `request failed: no answer within ${API_CALL_TIMEOUT_MS / 1000} s`
          : `request failed: ${(err as Error).message}`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > API_CALL_MAX_BODY) {
          res.body.destroy();
          throw managementError(
            502,
            `failed to read response: larger than ${API_CALL_MAX_BODY / 1024 / 1024} MiB`,
          );
        }
        chunks.push(buf);
      }
    } catch (err) {
      if (AppError.is(err, 'management')) throw err;
      throw managementError(
        502,
        isTimeout(err)
          ? `failed to read response: not complete within ${API_CALL_TIMEOUT_MS / 1000} s`
          : `failed to read response: ${(err as Error).message}`,
      );
    }
    return {
      status_code: res.statusCode,
      header: responseHeaders(res.headers),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }

  /**
   * Refuse metadata hosts and link-local literals; for a direct call also every address the
   * name resolves to. Through a proxy the proxy resolves the name, so only the name is checked.
   */
  private async checkDestination(url: URL, proxied: boolean): Promise<void> {
    const refused = refusedHost(url.hostname);
    if (refused) throw managementError(400, `refused destination: ${refused}`);
    const host = url.hostname.replace(IPV6_BRACKETS, '');
    if (proxied || isIP(host) !== 0) return;
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      throw managementError(
        502,
        `request failed: cannot resolve ${host}: ${(err as Error).message}`,
      );
    }
    for (const a of addresses) {
      const why = refusedAddress(a);
      if (why) throw managementError(400, `refused destination: ${host} resolves to ${why}`);
    }
  }
}
