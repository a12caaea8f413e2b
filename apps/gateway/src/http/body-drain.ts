import type { IncomingMessage } from 'node:http';

/** How much of a refused body is read and thrown away before the answer goes out. */
export interface DrainLimits {
  /** Bytes discarded at most; past them the connection is closed instead. */
  maxBytes: number;
  /** Time spent at most; past it the connection is closed instead. */
  maxMs: number;
}

/** At least this much of a refused body is drained, whatever the body limit. */
const MIN_DRAIN_BYTES = 64 * 1024 * 1024;
/** Longest a refused body is drained before the connection is closed. */
const DRAIN_MS = 15_000;

/** The drain limits for a body limit: twice the limit (at least 64 MiB), for at most 15 s. */
export function drainLimits(bodyLimitBytes: number): DrainLimits {
  return { maxBytes: Math.max(MIN_DRAIN_BYTES, 2 * bodyLimitBytes), maxMs: DRAIN_MS };
}

/** True when a request announces a body (`Content-Length` > 0 or `Transfer-Encoding`). */
export function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return raw.headers['transfer-encoding'] !== undefined;
}

/**
 * Read and discard the rest of a request body, so a refusal answered before (or instead of)
 * reading it reaches the client: closing a socket the client is still writing to makes its
 * kernel answer with a reset, and clients such as Node's fetch then report EPIPE or ECONNRESET
 * instead of the status. Nothing is kept. Resolves true when the body ended; false when a limit
 * was reached or the client went away (the caller then closes the connection).
 */
export function drainBody(raw: IncomingMessage, limits: DrainLimits): Promise<boolean> {
  if (raw.complete || raw.readableEnded || !hasBody(raw)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onGone);
      raw.off('close', onGone);
      resolve(ended);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onGone = (): void => finish(raw.complete);
    const timer = setTimeout(() => finish(false), limits.maxMs);
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', onGone);
    raw.once('close', onGone);
    raw.resume();
  });
}
