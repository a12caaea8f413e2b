import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../lib/api-client';
import { queryFromHash } from '../lib/routes';
import type { AttentionReport, ClientKeyList } from '../lib/types';
import type { ProvidersAnswer } from '../lib/providers';
import { ApiError } from '../lib/api-error';
import { followStream, type StreamState } from '../lib/sse-client';
import type { SseEvent } from '../lib/sse-parser';

/** The deployment's health as the shell last saw it (the outage banner and live badges). */
export interface PanelHealth {
  /** Redis unreachable, and since when (ISO), per the latest attention report. */
  redisDown: boolean;
  redisDownSince?: string;
  /** The gateway itself did not answer the latest poll. */
  gatewayDown: boolean;
}

/** What every page gets from the shell: the signed-in client and the status line. */
export interface PanelContext {
  api: ApiClient;
  health: PanelHealth;
  /** The latest "needs attention" report (polled every 5 s by the shell). */
  attention: Resource<AttentionReport>;
  /** The gateway's provider registry (loaded once by the shell; undefined until it arrives). */
  providers: ProvidersAnswer | undefined;
  /** Announce the outcome of an action in the shared status region. */
  notify: (message: string, kind?: 'ok' | 'error') => void;
  /** The key was refused: back to sign-in with this message. */
  signOut: (message?: string) => void;
}

export const Panel = createContext<PanelContext | null>(null);

/** The shell's context (pages only render inside it). */
export function usePanel(): PanelContext {
  const ctx = useContext(Panel);
  if (!ctx) throw new Error('usePanel outside the panel shell');
  return ctx;
}

/** A loaded resource: its latest data, the latest error, and a way to load it again. */
export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Any failure as an ApiError (network failures and bugs alike get a readable message). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, (err as Error)?.message ?? String(err), undefined);
}

/** Waits before a failed load is tried again. */
const RETRY_MS = [1000, 2000, 5000, 10_000, 15_000];

/**
 * Load `load()` now, whenever `deps` change, and every `refreshMs` while the page is visible.
 * Older answers never overwrite newer ones; the last good data stays while a reload fails.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  refreshMs?: number,
): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | undefined }>({
    data: undefined,
    error: undefined,
  });
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef
      .current(controller.signal)
      .then((data) => {
        if (!controller.signal.aborted) setState({ data, error: undefined });
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ data: s.data, error: asApiError(err) }));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [...deps, tick]);

  useEffect(() => {
    if (!refreshMs) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, refreshMs);
    return () => clearInterval(id);
  }, [refreshMs]);

  // A failed load tries again by itself (quickly at first), and its error clears on the first
  // success; a route this gateway does not have, or a refused key, is not retried.
  const failures = useRef(0);
  useEffect(() => {
    const e = state.error;
    if (!e) {
      failures.current = 0;
      return;
    }
    if (e.missingRoute || e.status === 401 || e.status === 403 || e.status === 400) return;
    const delay = RETRY_MS[Math.min(failures.current, RETRY_MS.length - 1)] ?? 15_000;
    failures.current++;
    if (refreshMs && refreshMs <= delay) return;
    const t = setTimeout(() => setTick((n) => n + 1), delay);
    return () => clearTimeout(t);
  }, [state.error, refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, loading, reload };
}

/**
 * Follow an SSE route while mounted (and while `url` is set); events go to `onEvent` (kept in a
 * ref, so a new callback does not reconnect). Returns the stream's state for a status line.
 */
export function useStream(url: string | null, onEvent: (ev: SseEvent) => void): StreamState {
  const { api, signOut } = usePanel();
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!url) {
      setState({ kind: 'closed' });
      return;
    }
    let live = true;
    const close = followStream(url, api.authHeaders(), {
      onEvent: (ev) => handler.current(ev),
      onState: (s) => {
        if (live) setState(s);
      },
      onUnauthorized: (m) => signOut(m),
    });
    return () => {
      live = false;
      close();
    };
  }, [url, api, signOut]);
  return state;
}

/** Run an action with a busy flag; failures are announced, successes return the result. */
export function useAction(): {
  busy: boolean;
  run: <T>(fn: () => Promise<T>, success?: string) => Promise<T | undefined>;
} {
  const { notify } = usePanel();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T>(fn: () => Promise<T>, success?: string): Promise<T | undefined> => {
      setBusy(true);
      try {
        const out = await fn();
        if (success) notify(success, 'ok');
        return out;
      } catch (err) {
        notify(asApiError(err).message, 'error');
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [notify],
  );
  return { busy, run };
}

/** The filters in the location hash (`#/credentials?status=cooling`), kept current. */
export function useHashQuery(): Record<string, string> {
  const [query, setQuery] = useState(() => queryFromHash(location.hash));
  useEffect(() => {
    const on = () => setQuery(queryFromHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return query;
}

/** Client keys by key id (labels for every place a key appears); reloaded every minute. */
export function useClientKeys(): Resource<ClientKeyList> {
  const { api } = usePanel();
  return useResource(
    (signal) => api.get<ClientKeyList>('/v0/management/client-keys', undefined, signal),
    [api],
    60_000,
  );
}
