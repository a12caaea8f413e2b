import { errorMessage, isMissingRoute } from './api-error';
import { SseParser, type SseEvent } from './sse-parser';

/** Where a live stream stands, for the status line next to it. */
export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'retrying'; inMs: number; reason: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'closed' };

/** What a live stream reports to its owner. */
export interface StreamHandlers {
  onEvent: (ev: SseEvent) => void;
  onState: (state: StreamState) => void;
  /** The server refused the key (401): the session should end. */
  onUnauthorized?: (message: string) => void;
}

/** Reconnect delays: quick at first, then at most every 15 s. */
const BACKOFF_MS = [1000, 2000, 5000, 10000, 15000];

/**
 * Follow an SSE endpoint with `fetch` and a streaming reader: EventSource cannot send the
 * `Authorization` header the cluster API needs from remote browsers. Reconnects after network
 * failures and server restarts; stops for good on 401/403/404. Returns a function that closes it.
 */
export function followStream(
  url: string,
  headers: Record<string, string>,
  handlers: StreamHandlers,
): () => void {
  const controller = new AbortController();
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = (reason: string) => {
    if (controller.signal.aborted) return;
    const inMs = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 15000;
    attempt++;
    handlers.onState({ kind: 'retrying', inMs, reason });
    timer = setTimeout(() => void connect(), inMs);
  };

  const connect = async (): Promise<void> => {
    handlers.onState({ kind: 'connecting' });
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { ...headers, accept: 'text/event-stream' },
        signal: controller.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      retry('the gateway could not be reached');
      return;
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let body: unknown = text;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // not JSON: keep the text
      }
      const reason = isMissingRoute(res.status, body)
        ? 'this stream is not available on this gateway'
        : errorMessage(body, res.status);
      if (res.status === 401) handlers.onUnauthorized?.(reason);
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        handlers.onState({ kind: 'unavailable', reason });
      } else {
        retry(reason);
      }
      return;
    }
    // Headers in: the stream is live (the log stream opens with a comment, not an event).
    attempt = 0;
    handlers.onState({ kind: 'open' });
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.push(value)) {
          if (ev.event !== 'connected') handlers.onEvent(ev);
        }
      }
      retry('the stream ended');
    } catch {
      retry('the stream was interrupted');
    }
  };

  void connect();
  return () => {
    clearTimeout(timer);
    controller.abort();
    handlers.onState({ kind: 'closed' });
  };
}
