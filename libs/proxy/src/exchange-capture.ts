/** Longest streamed output kept per request (characters); the rest is counted, not kept. */
export const MAX_CAPTURED_STREAM_CHARS = 64 * 1024;

/**
 * A copy of streamed output up to a cap: chunks are kept by reference and joined only when the
 * exchange is formatted.
 */
export class StreamCapture {
  private readonly parts: string[] = [];
  private kept = 0;
  private cut = 0;

  constructor(private readonly maxChars = MAX_CAPTURED_STREAM_CHARS) {}

  /** Keep a chunk (or the part of it that still fits). */
  push(chunk: string): void {
    const room = this.maxChars - this.kept;
    if (room <= 0) {
      this.cut += chunk.length;
      return;
    }
    if (chunk.length <= room) {
      this.parts.push(chunk);
      this.kept += chunk.length;
      return;
    }
    this.parts.push(chunk.slice(0, room));
    this.kept += room;
    this.cut += chunk.length - room;
  }

  /** The captured text, with a note when output was cut. */
  text(): string {
    const text = this.parts.join('');
    return this.cut > 0 ? `${text}\n[… ${this.cut} more characters of the stream not kept]` : text;
  }
}

/**
 * Requests the proxy pipeline took over. The refusal capture (for errors produced before the
 * pipeline, such as 413 or unknown routes) skips them: the pipeline records its own.
 */
export const pipelineRequests = new WeakSet<object>();

/**
 * Paths whose failed requests are logged, as CLIProxyAPI decides: everything but the management
 * API and `/api/*` (except the `/api/provider/*` aliases), which could carry secrets or are not
 * proxy traffic.
 */
export function isLoggedPath(url: string): boolean {
  if (url.startsWith('/v0/management') || url.startsWith('/management')) return false;
  if (url.startsWith('/api')) return url.startsWith('/api/provider/');
  return true;
}
