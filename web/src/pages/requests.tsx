import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useClientKeys, useHashQuery, usePanel, useResource, useStream } from '../components/hooks';
import { Badge, Loadable, Section, StreamStatus } from '../components/ui';
import { withQuery } from '../lib/api-client';
import { formatBytes, formatCount, formatMs, formatTime } from '../lib/format';
import { keyName, keysById } from '../lib/key-labels';
import {
  STATUS_PRESETS,
  filterFromQuery,
  requestFilterQuery,
  type RequestFilterForm,
} from '../lib/request-filter';
import { timeZoneNote } from '../lib/time';
import type { ClientKey, ErrorLogFile, RequestLogEntry, RequestLogPage } from '../lib/types';
import { RequestDrawer, statusTone, useLogViewer } from './request-drawer';

/** Rows kept in the live table; older ones fall off the bottom. */
const MAX_ROWS = 300;

function FilterForm({
  initial,
  keys,
  onApply,
}: {
  initial: RequestFilterForm;
  keys: readonly ClientKey[];
  onApply: (q: Record<string, string | undefined>) => void;
}) {
  const [form, setForm] = useState<RequestFilterForm>(initial);
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
      <div class="field">
        <label for="rf-key">Client key</label>
        <select
          id="rf-key"
          value={form.key}
          onChange={(e) => setForm((f) => ({ ...f, key: e.currentTarget.value }))}
        >
          <option value="">Any key</option>
          {keys.map((k) => (
            <option key={k.key_id} value={k.key_id}>
              {k.label ? `${k.label} (${k.masked})` : k.masked}
            </option>
          ))}
        </select>
      </div>
      <div class="field field-button">
        <button type="submit" class="primary">
          Apply filters
        </button>
      </div>
    </form>
  );
}

function RequestTable({
  rows,
  byId,
  onOpen,
}: {
  rows: RequestLogEntry[];
  byId: Map<string, ClientKey>;
  onOpen: (r: RequestLogEntry) => void;
}) {
  if (rows.length === 0)
    return <p class="muted">No requests match yet. New ones appear here as they finish.</p>;
  return (
    <div class="table-wrap">
      <table class="dense cards clickable" data-testid="request-log">
        <caption>Proxied requests, newest first. Select a request for its details.</caption>
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
            <tr key={r.id} data-request-id={r.request_id} onClick={() => onOpen(r)}>
              <td class="nowrap" data-label="Time">
                <button
                  type="button"
                  class="link row-open"
                  aria-label={`${formatTime(r.timestamp)}: details of request ${r.request_id}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    onOpen(r);
                  }}
                >
                  {formatTime(r.timestamp)}
                </button>
              </td>
              <td data-label="Status">
                <Badge tone={statusTone(r.status_code)}>{r.status_code}</Badge>
                {r.error_class && <span class="cell-sub">{r.error_class}</span>}
              </td>
              <td class="mono" data-label="Model">
                {r.model || '–'}
              </td>
              <td data-label="Provider">{r.subdomain || '–'}</td>
              <td data-label="Key">{keyName(byId.get(r.key_id), r.key || '–')}</td>
              <td class="num" data-label="Duration">
                {formatMs(r.duration_ms)}
              </td>
              <td class="num" data-label="Tokens">
                {formatCount(r.tokens?.total_tokens ?? 0)}
              </td>
              <td class="mono" data-label="URL">
                {r.stream ? 'stream ' : ''}
                {r.url}
              </td>
              <td data-label="Replica">{r.process}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The live request log: the latest page, then every new request over SSE. */
function LiveRequests({
  onOpenLog,
}: {
  onOpenLog: (name: string, kind: 'error' | 'full') => void;
}) {
  const { api, health } = usePanel();
  const hashQuery = useHashQuery();
  const initialForm = useMemo(() => filterFromQuery(hashQuery), [hashQuery]);
  const [query, setQuery] = useState<Record<string, string | undefined>>(() => {
    const r = requestFilterQuery(initialForm);
    return r.ok ? (r.query as Record<string, string | undefined>) : {};
  });
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<RequestLogEntry[]>([]);
  const [selected, setSelected] = useState<RequestLogEntry>();
  const pending = useRef<RequestLogEntry[]>([]);
  const seen = useRef(new Set<string>());
  const keys = useClientKeys();
  const keyList = keys.data?.['client-keys'] ?? [];
  const byId = useMemo(() => keysById(keys.data?.['client-keys']), [keys.data]);

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
      <FilterForm
        key={JSON.stringify(initialForm) + keyList.length}
        initial={initialForm}
        keys={keyList}
        onApply={setQuery}
      />
      <StreamStatus
        state={state}
        label="Live updates"
        sourceDown={health.redisDown ? 'Redis unreachable' : undefined}
      />
      {initial.data && (
        <p class="muted">
          Latest {formatCount(initial.data.filtered_count)} matching of{' '}
          {formatCount(initial.data.total_count)} in the log. Times in {timeZoneNote()}.
        </p>
      )}
      <Loadable data={initial.data ? rows : undefined} error={initial.error} what="Request log">
        {(r) => <RequestTable rows={r} byId={byId} onOpen={setSelected} />}
      </Loadable>
      {selected && (
        <RequestDrawer
          key={selected.id}
          entry={selected}
          byId={byId}
          onClose={() => setSelected(undefined)}
          onOpenLog={onOpenLog}
        />
      )}
    </Section>
  );
}

/** Error logs of failed requests. */
function ErrorLogs({ onOpen }: { onOpen: (name: string) => void }) {
  const { api } = usePanel();
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
              <table class="dense cards">
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
                      <td data-label="Time">{formatTime(f.modified)}</td>
                      <td class="num" data-label="Size">
                        {formatBytes(f.size)}
                      </td>
                      <td>
                        <button
                          type="button"
                          onClick={() => onOpen(f.name)}
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
    </Section>
  );
}

/** The live request log with filters and details, and the error logs. */
export function Requests() {
  const viewer = useLogViewer();
  return (
    <>
      <LiveRequests onOpenLog={(name, kind) => void viewer.show(name, kind)} />
      <ErrorLogs onOpen={(name) => void viewer.show(name, 'error')} />
      {viewer.dialog}
    </>
  );
}
