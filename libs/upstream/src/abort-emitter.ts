import { EventEmitter } from 'node:events';

/**
 * A cancellation signal for the proxy path: an EventEmitter that emits `abort` once. undici takes
 * it as a request `signal` like an AbortSignal. On Node 20 every `abort` listener added to an
 * AbortSignal costs ~40 µs of CPU (the runtime tracks such signals for GC), which is more than the
 * whole upstream round trip through undici; an emitter's listener costs nothing measurable.
 */
export class AbortEmitter extends EventEmitter {
  private state: { reason: unknown } | undefined;

  /** True once `abort()` was called. */
  get aborted(): boolean {
    return this.state !== undefined;
  }

  /** Why it was aborted (undefined before, or when no reason was given). */
  get reason(): unknown {
    return this.state?.reason;
  }

  /** Abort (idempotent): listeners run once, synchronously. */
  abort(reason?: unknown): void {
    if (this.state) return;
    this.state = { reason };
    this.emit('abort');
  }
}

/** Either kind of signal the proxy path accepts. */
export type AbortSource = AbortSignal | AbortEmitter;

/** Run `fn` once when `signal` aborts; returns the function that removes the listener. */
export function onAbort(signal: AbortSource, fn: () => void): () => void {
  if (signal instanceof AbortEmitter) {
    signal.once('abort', fn);
    return () => {
      signal.off('abort', fn);
    };
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
