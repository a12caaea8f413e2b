import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, usePanel, useResource, useStream } from '../components/hooks';
import { Badge, Loadable, Section, StreamStatus, type Tone } from '../components/ui';
import { withQuery } from '../lib/api-client';
import { formatBytes, formatCount, formatMs, formatTime } from '../lib/format';
import {
  EMPTY_REQUEST_FILTER,
  STATUS_PRESETS,
  requestFilterQuery,
  type RequestFilterForm,
} from '../lib/request-filter';
import type { ErrorLogFile, RequestLogEntry, RequestLogPage } from '../lib/types';

/** Rows kept in the live table; older ones fall off the bottom. */
const MAX_ROWS = 300;

function statusTone(status: number): Tone {
  if (status >= 500) return 'bad';
  if (status >= 400) return 'warn';
  if (status >= 200 && status < 300) return 'ok';
  return 'muted';
}

function FilterForm({ onApply }: { onApply: (q: Record<string, string | undefined>) => void }) {
  const [form, setForm] = useState<RequestFilterForm>(EMPTY_REQUEST_FILTER);
  const [errors, setErrors] = useState<Partial<Record<keyof RequestFilterForm, string>>>({});
  const set = (k: keyof RequestFilterForm) => (e: { currentTarget: HTMLInputElement }) =>
    setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  const preset = STATUS_PRESETS.findIndex(
    (p) => p.min === form.minStatus && p.max === form.maxStatus,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const r = requestFilterQuery(form);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    onApply(r.query as Record<string, string | undefined>);
  };
  const field = (k: keyof RequestFilterForm, label: string, extra: Record<string, string> = {}) => (
    <div class="field">
      <label for={`rf-${k}`}>{label}</label>
      <input
        id={`rf-${k}`}
        value={form[k]}
        onInput={set(k)}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `rf-${k}-err` : undefined}
        {...extra}
      />
      {errors[k] && (
        <span id={`rf-${k}-err`} class="field-error">
          {errors[k]}
        </span>
      )}
    </div>
  );
  return (
    <form class="filters" onSubmit={submit} aria-label="Request filters">
      <div class="field">
        <label for="rf-preset">Status</label>
        <select
          id="rf-preset"
          value={preset < 0 ? 'custom' : String(preset)}
          onChange={(e) => {
            const p = STATUS_PRESETS[Number(e.currentTarget.value)];
            if (p) setForm((f) => ({ ...f, minStatus: p.min, maxStatus: p.max }));
          }}
        >
          {STATUS_PRESETS.map((p, i) => (
            <option key={p.label} value={String(i)}>
              {p.label}
            </option>
          ))}
          {preset < 0 && <option value="custom">Custom range</option>}
        </select>
      </div>
      {field('minStatus', 'Lowest status', { inputMode: 'numeric', size: '4' })}
      {field('maxStatus', 'Highest status', { inputMode: 'numeric', size: '4' })}
      {field('provider', 'Provider')}
      {field('model', 'Model')}
      {field('key', 'Client key')}
      <div class="field field-button">
        <button type="submit" class="primary">
          Apply filters
        </button>
      </div>
    </form>
  );
}

function RequestTable({ rows }: { rows: RequestLogEntry[] }) {
  if (rows.length === 0)
    return <p class="muted">No requests match yet. New ones appear here as they finish.</p>;
  return (
    <div class="table-wrap">
      <table class="dense" data-testid="request-log">
        <caption>Proxied requests, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Status</th>
            <th scope="col">Model</th>
            <th scope="col">Provider</th>
            <th scope="col">Key</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col">URL</th>
            <th scope="col">Replica</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-request-id={r.request_id}>
              <td class="nowrap">{formatTime(r.timestamp)}</td>
              <td>
                <Badge tone={statusTone(r.status_code)}>{r.status_code}</Badge>
                {r.error_class && <span class="cell-sub">{r.error_class}</span>}
              </td>
              <td class="mono">{r.model || '–'}</td>
              <td>{r.subdomain || '–'}</td>
              <td class="mono">{r.key || '–'}</td>
              <td class="num">{formatMs(r.duration_ms)}</td>
              <td class="num">{formatCount(r.tokens?.total_tokens ?? 0)}</td>
              <td class="mono">
                {r.stream ? 'stream ' : ''}
                {r.url}
              </td>
              <td>{r.process}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The live request log: the latest page, then every new request over SSE. */
function LiveRequests() {
  const { api } = usePanel();
  const [query, setQuery] = useState<Record<string, string | undefined>>({});
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<RequestLogEntry[]>([]);
  const pending = useRef<RequestLogEntry[]>([]);
  const seen = useRef(new Set<string>());

  const initial = useResource(
    (signal) => api.get<RequestLogPage>('/api/v1/proxy/requests', { ...query, limit: 100 }, signal),
    [api, query],
  );
  useEffect(() => {
    if (!initial.data) return;
    seen.current = new Set(initial.data.requests.map((r) => r.id));
    setRows(initial.data.requests);
  }, [initial.data]);

  // Batch stream events into one render per animation frame, however fast they come.
  const flush = useRef<number | undefined>(undefined);
  const onEvent = useCallback((ev: { event: string; data: string }) => {
    if (ev.event !== 'message') return;
    let entry: RequestLogEntry;
    try {
      entry = JSON.parse(ev.data) as RequestLogEntry;
    } catch {
      return;
    }
    if (seen.current.has(entry.id)) return;
    seen.current.add(entry.id);
    pending.current.push(entry);
    flush.current ??= requestAnimationFrame(() => {
      flush.current = undefined;
      const batch = pending.current.reverse();
      pending.current = [];
      setRows((old) => {
        const next = [...batch, ...old].slice(0, MAX_ROWS);
        if (seen.current.size > MAX_ROWS * 4) seen.current = new Set(next.map((r) => r.id));
        return next;
      });
    });
  }, []);
  useEffect(
    () => () => {
      if (flush.current !== undefined) cancelAnimationFrame(flush.current);
    },
    [],
  );
  const state = useStream(
    paused ? null : withQuery('/api/v1/proxy/requests/stream', query),
    onEvent,
  );

  return (
    <Section
      id="live-requests"
      title="Live request log"
      actions={
        <button type="button" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      }
    >
      <FilterForm onApply={setQuery} />
      <StreamStatus state={state} label="Live updates" />
      {initial.data && (
        <p class="muted">
          Latest {formatCount(initial.data.filtered_count)} matching of{' '}
          {formatCount(initial.data.total_count)} in the log.
        </p>
      )}
      <Loadable data={initial.data ? rows : undefined} error={initial.error} what="Request log">
        {(r) => <RequestTable rows={r} />}
      </Loadable>
    </Section>
  );
}

/** Error logs of failed requests (the first route that answers wins). */
function ErrorLogs() {
  const { api } = usePanel();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState<{ name: string; text: string } | undefined>();
  const logs = useResource(
    async (signal) => {
      const r = await api.get<{ files?: ErrorLogFile[] }>(
        '/v0/management/request-error-logs',
        undefined,
        signal,
      );
      return r.files ?? [];
    },
    [api],
    30_000,
  );
  const show = async (name: string) => {
    try {
      const text = await api.text(`/v0/management/request-error-logs/${encodeURIComponent(name)}`);
      setOpen({ name, text });
    } catch (err) {
      setOpen({ name, text: `Could not open ${name}: ${asApiError(err).message}` });
    }
  };
  useEffect(() => {
    if (open && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [open]);
  return (
    <Section
      id="error-logs"
      title="Error logs"
      actions={
        <button type="button" onClick={logs.reload} disabled={logs.loading}>
          Refresh
        </button>
      }
    >
      <Loadable data={logs.data} error={logs.error} what="Error logs">
        {(files) =>
          files.length === 0 ? (
            <p class="muted">
              No error logs. Failed requests leave one here while request-log is off.
            </p>
          ) : (
            <div class="table-wrap">
              <table class="dense">
                <caption>Logs of failed requests, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Time</th>
                    <th scope="col" class="num">
                      Size
                    </th>
                    <th scope="col">Open</th>
                  </tr>
                </thead>
                <tbody>
                  {files.map((f) => (
                    <tr key={f.name}>
                      <th scope="row" class="mono">
                        {f.name}
                      </th>
                      <td>{formatTime(f.modified)}</td>
                      <td class="num">{formatBytes(f.size)}</td>
                      <td>
                        <button
                          type="button"
                          onClick={() => void show(f.name)}
                          aria-label={`Open ${f.name}`}
                        >
                          Open
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loadable>
      <dialog
        ref={dialog}
        class="log-dialog"
        aria-labelledby="log-dialog-title"
        onClose={() => setOpen(undefined)}
      >
        <div class="card-head">
          <h2 id="log-dialog-title">{open?.name}</h2>
          <button type="button" onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
        <pre class="log-text" tabIndex={0}>
          {open?.text}
        </pre>
      </dialog>
    </Section>
  );
}

/** The live request log with filters, and the error logs. */
export function Requests() {
  return (
    <>
      <LiveRequests />
      <ErrorLogs />
    </>
  );
}
