import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { ConfigService } from '@app/config';
import { extractClientKey } from '@app/common';
import {
  ampRequestHeaders,
  ampResponseHeaders,
  ampTargetUrl,
  ampUpstreamKey,
  isGzipMagic,
} from '@app/proxy';
import { AbortEmitter, UpstreamHttp } from '@app/upstream';

/** What goes upstream as the request body. */
export type AmpBody =
  /** The client's body as it arrives (raw bytes, any encoding), streamed. */
  | { kind: 'stream' }
  /** The client's bytes, read whole to pick a route, sent as they came (encoding kept). */
  | { kind: 'bytes'; data: Buffer }
  /** A parsed JSON body, re-serialised (no longer encoded; new length). */
  | { kind: 'json'; data: string };

/** What a client gets when the Amp upstream is not configured. */
export const AMP_UNAVAILABLE = {
  error: 'amp upstream proxy not available; set ampcode.upstream-url in config.yaml',
};

const AMP_UNREACHABLE = {
  error: 'amp_upstream_proxy_error',
  message: 'Failed to reach Amp upstream',
};

/** Methods whose requests carry no body. */
const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * The Amp reverse proxy: one request to the Amp upstream, streamed both ways. The client's key is
 * replaced by the Amp key; bodies pass untouched in both directions (a gzip body with its
 * Content-Encoding stays gzip, for the client to decode). One repair, as CLIProxyAPI does: a
 * non-stream answer that is gzip without saying so is decoded on the way through.
 */
@Injectable()
export class AmpProxy {
  private readonly logger = new Logger('Amp');

  constructor(
    private readonly config: ConfigService,
    private readonly http: UpstreamHttp,
  ) {}

  /** True when `ampcode.upstream-url` is set (read per call: it hot-reloads). */
  get enabled(): boolean {
    return this.config.current.ampcode['upstream-url'].trim() !== '';
  }

  /**
   * Forward the request to the Amp upstream and stream the answer back; `withAmpKey: false`
   * sends no Amp key (the client's own key is dropped either way).
   */
  async forward(
    req: FastifyRequest,
    reply: FastifyReply,
    body: AmpBody,
    withAmpKey = true,
  ): Promise<void> {
    const cfg = this.config.current;
    const base = cfg.ampcode['upstream-url'].trim();
    if (!base) return void reply.status(503).send(AMP_UNAVAILABLE);
    const clientKey = extractClientKey(req);
    const target = new URL(ampTargetUrl(base, req.url, clientKey));
    const ampKey = withAmpKey ? ampUpstreamKey(cfg.ampcode, clientKey) : undefined;
    const headers = ampRequestHeaders(req.headers, ampKey);

    let payload: Dispatcher.DispatchOptions['body'];
    if (body.kind === 'json') {
      delete headers['content-encoding'];
      headers['content-length'] = String(Buffer.byteLength(body.data));
      payload = body.data;
    } else if (body.kind === 'bytes') {
      headers['content-length'] = String(body.data.length);
      payload = body.data;
    } else if (!BODYLESS.has(req.method)) {
      payload = req.raw;
    }

    // An emitter, not an AbortController: cheap for undici to listen on (see AbortEmitter).
    const abort = new AbortEmitter();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    reply.raw.once('close', onClose);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.http.dispatcher(proxyOf(cfg['proxy-url'])).request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: req.method,
        headers,
        body: payload,
        signal: abort,
      });
    } catch (err) {
      reply.raw.off('close', onClose);
      if (abort.aborted) return;
      this.logger.error(
        `amp upstream error for ${req.method} ${target.pathname}: ${(err as Error).message}`,
      );
      return void reply.status(502).send(AMP_UNREACHABLE);
    }
    if (res.statusCode >= 500) {
      this.logger.warn(
        `amp upstream answered ${res.statusCode} for ${req.method} ${target.pathname}`,
      );
    }

    const out = ampResponseHeaders(res.headers);
    let gunzip: Transform | undefined;
    if (mayBeSilentGzip(req.method, res)) {
      const first = await peek(res.body).catch(() => undefined);
      if (isGzipMagic(first)) {
        gunzip = createGunzip();
        delete out['content-length'];
      }
    }
    // Raw writes from here on: Fastify must not answer too.
    reply.hijack();
    reply.raw.writeHead(res.statusCode, out);
    reply.raw.flushHeaders();
    try {
      await (gunzip ? pipeline(res.body, gunzip, reply.raw) : pipeline(res.body, reply.raw));
    } catch (err) {
      // A client that left or an upstream cut mid-body; the socket is closed either way.
      if (!abort.aborted) {
        this.logger.warn(
          `amp stream for ${target.pathname} ended early: ${(err as Error).message}`,
        );
      }
      res.body.destroy();
      reply.raw.destroy();
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}

/** A non-stream body with no Content-Encoding may still be gzip (a misconfigured upstream). */
function mayBeSilentGzip(method: string, res: Dispatcher.ResponseData): boolean {
  if (method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return false;
  if (res.headers['content-encoding']) return false;
  const type = res.headers['content-type'];
  return !(typeof type === 'string' && type.includes('text/event-stream'));
}

/** The first chunk of a body, put back so the body still reads whole. */
function peek(body: Readable): Promise<Buffer | undefined> {
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const done = (): void => {
      body.off('readable', onReadable);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onReadable = (): void => {
      const chunk = body.read() as Buffer | null;
      done();
      if (chunk) body.unshift(chunk);
      resolve(chunk ?? undefined);
    };
    const onEnd = (): void => {
      done();
      resolve(undefined);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    body.on('readable', onReadable);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/** The global outbound proxy (`direct`/`none` and '' mean none). */
function proxyOf(url: string): string | undefined {
  const v = url.trim();
  const lower = v.toLowerCase();
  return v && lower !== 'direct' && lower !== 'none' ? v : undefined;
}
