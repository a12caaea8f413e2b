// The requests page's detail views: the drawer of one request (its attempts, tokens and
// links) and the error-log viewer.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, usePanel, useResource } from '../components/hooks';
import { Badge, type Tone } from '../components/ui';
import { formatCount, formatMs, formatTime } from '../lib/format';
import { keyName } from '../lib/key-labels';
import { timeZoneNote } from '../lib/time';
import type { AttemptView, ClientKey, ErrorLogFile, RequestLogEntry } from '../lib/types';

/** The badge colour of an HTTP status. */
export function statusTone(status: number): Tone {
  if (status >= 500) return 'bad';
  if (status >= 400) return 'warn';
  if (status >= 200 && status < 300) return 'ok';
  return 'muted';
}

/** One step of the attempt chain, in words. */
function AttemptLine({ a, n }: { a: AttemptView; n: number }) {
  if ('wait_seconds' in a) {
    return (
      <li class="attempt attempt-wait">
        Waited {formatMs(a.wait_seconds * 1000)} for a cooldown to end (every credential was cooling
        down)
      </li>
    );
  }
  const ok = a.status >= 200 && a.status < 300 && !a.message;
  return (
    <li class={`attempt ${ok ? 'attempt-ok' : 'attempt-bad'}`}>
      <span class="attempt-head">
        Attempt {n}: <strong>{a.source || a.auth_index}</strong> ({a.provider}) →{' '}
        <Badge tone={ok ? 'ok' : statusTone(a.status || 502)}>
          {a.status === 0 ? 'no answer' : a.status}
        </Badge>{' '}
        in {formatMs(a.duration_ms)}
      </span>
      {(a.error_type || a.message) && (
        <span class="cell-sub">
          {a.error_type && <span class="mono">{a.error_type}</span>}
          {a.error_type && a.message ? ': ' : ''}
          {a.message}
        </span>
      )}
    </li>
  );
}

/** The details of one request, opened from its row. */
export function RequestDrawer({
  entry,
  byId,
  onClose,
  onOpenLog,
}: {
  entry: RequestLogEntry;
  byId: Map<string, ClientKey>;
  onClose: () => void;
  onOpenLog: (name: string, kind: 'error' | 'full') => void;
}) {
  const { api } = usePanel();
  const dialog = useRef<HTMLDialogElement>(null);
  // The error log of this request (its name ends with the request id), or its full log.
  const logs = useResource(
    async (signal) => {
      const out: { name: string; kind: 'error' | 'full' }[] = [];
      const list = await api
        .get<{ files?: ErrorLogFile[] }>('/v0/management/request-error-logs', undefined, signal)
        .catch(() => ({ files: [] as ErrorLogFile[] }));
      const mine = (list.files ?? []).find((f) => f.name.endsWith(`-${entry.request_id}.log`));
      if (mine) out.push({ name: mine.name, kind: 'error' });
      try {
        await api.request(
          'GET',
          `/v0/management/request-log-by-id/${encodeURIComponent(entry.request_id)}`,
          { signal },
        );
        out.push({ name: entry.request_id, kind: 'full' });
      } catch {
        // no full log: request-log is off, or it aged out
      }
      return out;
    },
    [api, entry.request_id],
    // An error log is written moments after the request: look again while none is found.
    entry.failed ? 2000 : undefined,
  );
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  const key = byId.get(entry.key_id);
  const attempts: AttemptView[] =
    entry.attempts && entry.attempts.length > 0
      ? entry.attempts
      : entry.source || entry.auth_index
        ? [
            {
              auth_index: entry.auth_index,
              source: entry.source ?? '',
              provider: entry.subdomain,
              status: entry.status_code,
              duration_ms: entry.duration_ms,
            },
          ]
        : [];
  let n = 0;
  const t = entry.tokens;
  return (
    <dialog
      ref={dialog}
      class="drawer"
      aria-labelledby="drawer-title"
      data-testid="request-drawer"
      onClose={onClose}
    >
      <div class="card-head">
        <h2 id="drawer-title">
          Request <span class="mono">{entry.request_id}</span>
        </h2>
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Badge tone={statusTone(entry.status_code)}>{entry.status_code}</Badge>{' '}
          {entry.error_class && <span class="mono">{entry.error_class}</span>}
          {entry.error_message && <span class="cell-sub">{entry.error_message}</span>}
        </dd>
        <dt>Finished</dt>
        <dd>
          {formatTime(entry.timestamp)} <span class="muted small">({timeZoneNote()})</span>
        </dd>
        <dt>Client key</dt>
        <dd>
          {key ? (
            <>
              {keyName(key)} {key.label && <span class="mono muted">{key.masked}</span>}
              {key.owner && <span class="cell-sub">owner: {key.owner}</span>}
            </>
          ) : (
            <span class="mono">{entry.key || '–'}</span>
          )}
        </dd>
        <dt>{entry.failed ? 'Last tried' : 'Served by'}</dt>
        <dd>
          {entry.source ? (
            <>
              {entry.source} ({entry.subdomain}){' '}
              <span class="muted small mono">auth_index {entry.auth_index}</span>
            </>
          ) : (
            'no credential (refused before any upstream call)'
          )}
        </dd>
        <dt>Model</dt>
        <dd class="mono">{entry.model || '–'}</dd>
        <dt>Call</dt>
        <dd>
          <span class="mono">
            {entry.method} {entry.url}
          </span>
          {entry.stream ? ' · streamed' : ' · not streamed'} · from {entry.remote_addr || '–'} ·
          replica {entry.process}
        </dd>
        <dt>Latency</dt>
        <dd>{formatMs(entry.duration_ms)}</dd>
        <dt>Tokens</dt>
        <dd data-testid="drawer-tokens">
          input {formatCount(t.input_tokens)} · output {formatCount(t.output_tokens)} · cached{' '}
          {formatCount(t.cached_tokens)} · reasoning {formatCount(t.reasoning_tokens)} · total{' '}
          {formatCount(t.total_tokens)}
        </dd>
      </dl>
      <h3>Attempts</h3>
      {attempts.length === 0 ? (
        <p class="muted">No upstream was called.</p>
      ) : (
        <ol class="attempts" data-testid="attempts">
          {attempts.map((a, i) => (
            <AttemptLine key={i} a={a} n={'wait_seconds' in a ? n : ++n} />
          ))}
        </ol>
      )}
      <h3>Logs</h3>
      {logs.data === undefined ? (
        <p class="muted">Looking for its logs…</p>
      ) : logs.data.length === 0 ? (
        <p class="muted">
          No log of this request is kept (error logs are written for failures while request-log is
          off, and only the newest are kept).
        </p>
      ) : (
        <p>
          {logs.data.map((l) => (
            <button key={l.name} type="button" onClick={() => onOpenLog(l.name, l.kind)}>
              {l.kind === 'error' ? 'Open its error log' : 'Open its full request log'}
            </button>
          ))}
        </p>
      )}
    </dialog>
  );
}

/** A log's text in a dialog. */
export function LogDialog({
  log,
  onClose,
}: {
  log: { name: string; text: string };
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="log-dialog" aria-labelledby="log-dialog-title" onClose={onClose}>
      <div class="card-head">
        <h2 id="log-dialog-title">{log.name}</h2>
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <pre class="log-text" tabIndex={0}>
        {log.text}
      </pre>
    </dialog>
  );
}

/** Opens error logs and full request logs in a dialog. */
export function useLogViewer() {
  const { api } = usePanel();
  const [open, setOpen] = useState<{ name: string; text: string } | undefined>();
  const show = useCallback(
    async (name: string, kind: 'error' | 'full' = 'error') => {
      const path =
        kind === 'error'
          ? `/v0/management/request-error-logs/${encodeURIComponent(name)}`
          : `/v0/management/request-log-by-id/${encodeURIComponent(name)}`;
      try {
        setOpen({ name, text: await api.text(path) });
      } catch (err) {
        setOpen({ name, text: `Could not open ${name}: ${asApiError(err).message}` });
      }
    },
    [api],
  );
  const dialog = open ? <LogDialog log={open} onClose={() => setOpen(undefined)} /> : null;
  return { show, dialog };
}
