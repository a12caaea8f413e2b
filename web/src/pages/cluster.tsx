import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useAction, usePanel, useResource, useStream } from '../components/hooks';
import { Badge, Loadable, Section, StreamStatus, type Tone } from '../components/ui';
import { withQuery } from '../lib/api-client';
import { formatLogLine, formatRelative, formatUptime } from '../lib/format';
import type { LogLine, LogPage, Member, MemberDetail, MemberStatus } from '../lib/types';

const STATUS_TONE: Record<MemberStatus, Tone> = {
  running: 'ok',
  starting: 'info',
  stopping: 'warn',
  stopped: 'muted',
  crashed: 'bad',
};

const HEALTH_TONE: Record<string, Tone> = { healthy: 'ok', unhealthy: 'bad', unknown: 'muted' };

/** Lines kept in the live log view. */
const MAX_LINES = 1000;

function MemberChecks({ name }: { name: string }) {
  const { api } = usePanel();
  const detail = useResource(
    (signal) =>
      api.get<MemberDetail>(`/api/v1/processes/${encodeURIComponent(name)}`, undefined, signal),
    [api, name],
    10_000,
  );
  return (
    <Loadable data={detail.data} error={detail.error} what="Process details">
      {(d) => (
        <div class="member-detail">
          <p class="muted">
            {d.host} · version {d.version} · started {formatRelative(d.started_at)} · last heartbeat{' '}
            {formatRelative(d.last_heartbeat)}
          </p>
          {d.healthcheck.checks ? (
            <ul class="checks">
              {Object.entries(d.healthcheck.checks).map(([check, c]) => (
                <li key={check}>
                  <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'ok' : 'failing'}</Badge> {check}:{' '}
                  {c.detail}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No health report.</p>
          )}
        </div>
      )}
    </Loadable>
  );
}

function MemberRow({ m, onChanged }: { m: Member; onChanged: () => void }) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const [open, setOpen] = useState(false);
  const command = (action: 'start' | 'stop' | 'restart') => {
    if (action !== 'start') {
      const what =
        action === 'stop'
          ? m.kind === 'gateway'
            ? 'stop taking proxy traffic'
            : 'pause its queues'
          : 'drain and restart';
      if (!window.confirm(`${m.name} will ${what}. Continue?`)) return;
    }
    void run(async () => {
      await api.request('POST', `/api/v1/processes/${encodeURIComponent(m.name)}/${action}`);
      onChanged();
    }, `${action} sent to ${m.name}`);
  };
  const live = m.status !== 'crashed';
  return (
    <>
      <tr data-testid={`member-${m.name}`}>
        <th scope="row">
          <button
            type="button"
            class="link"
            aria-expanded={open}
            aria-controls={`member-${m.name}-detail`}
            onClick={() => setOpen((o) => !o)}
          >
            {m.name}
          </button>
        </th>
        <td>{m.kind}</td>
        <td>
          <Badge tone={STATUS_TONE[m.status] ?? 'muted'}>{m.status}</Badge>
        </td>
        <td>
          <Badge tone={HEALTH_TONE[m.health] ?? 'muted'}>{m.health}</Badge>
        </td>
        <td class="num">{m.pid}</td>
        <td>
          {m.status === 'running' || m.status === 'stopped' ? formatUptime(m.uptime_seconds) : '–'}
        </td>
        <td class="num">{m.restarts}</td>
        <td class="actions">
          <button
            type="button"
            disabled={busy || !live || m.status !== 'stopped'}
            onClick={() => command('start')}
            aria-label={`Start ${m.name}`}
          >
            Start
          </button>
          <button
            type="button"
            disabled={busy || !live || m.status !== 'running'}
            onClick={() => command('stop')}
            aria-label={`Stop ${m.name}`}
          >
            Stop
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy || !live}
            onClick={() => command('restart')}
            aria-label={`Restart ${m.name}`}
          >
            Restart
          </button>
        </td>
      </tr>
      {open && (
        <tr id={`member-${m.name}-detail`}>
          <td colSpan={8}>
            <MemberChecks name={m.name} />
          </td>
        </tr>
      )}
    </>
  );
}

const LEVELS = ['', 'error', 'warn', 'info', 'debug', 'verbose'] as const;

/** Process logs of every member: the latest lines, then new ones over SSE. */
function LiveLogs({ members }: { members: Member[] }) {
  const { api, health } = usePanel();
  const [process, setProcess] = useState('');
  const [pattern, setPattern] = useState('');
  const [level, setLevel] = useState('');
  const [query, setQuery] = useState<{ process?: string; pattern?: string }>({});
  const [lines, setLines] = useState<LogLine[]>([]);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const pending = useRef<LogLine[]>([]);
  const frame = useRef<number | undefined>(undefined);

  const initial = useResource(
    (signal) => api.get<LogPage>('/api/v1/logs', { ...query, lines: 200 }, signal),
    [api, query],
  );
  useEffect(() => {
    if (initial.data) setLines(initial.data.logs);
  }, [initial.data]);

  const onEvent = useCallback((ev: { event: string; data: string }) => {
    if (ev.event !== 'message') return;
    try {
      pending.current.push(JSON.parse(ev.data) as LogLine);
    } catch {
      return;
    }
    frame.current ??= requestAnimationFrame(() => {
      frame.current = undefined;
      const batch = pending.current;
      pending.current = [];
      setLines((old) => [...old, ...batch].slice(-MAX_LINES));
    });
  }, []);
  useEffect(
    () => () => {
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );
  const state = useStream(withQuery('/api/v1/logs/stream', query), onEvent);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const shown = level ? lines.filter((l) => l.level === level) : lines;
  return (
    <Section id="process-logs" title="Process logs">
      <form
        class="filters"
        aria-label="Log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ process: process || undefined, pattern: pattern.trim() || undefined });
        }}
      >
        <div class="field">
          <label for="log-process">Process</label>
          <select
            id="log-process"
            value={process}
            onChange={(e) => setProcess(e.currentTarget.value)}
          >
            <option value="">All processes</option>
            {members.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="log-pattern">Text contains</label>
          <input
            id="log-pattern"
            value={pattern}
            onInput={(e) => setPattern(e.currentTarget.value)}
          />
        </div>
        <div class="field field-button">
          <button type="submit" class="primary">
            Apply filters
          </button>
        </div>
        <div class="field">
          <label for="log-level">Level</label>
          <select id="log-level" value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l || 'All levels'}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-check">
          <input
            id="log-follow"
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.currentTarget.checked)}
          />
          <label for="log-follow">Follow new lines</label>
        </div>
      </form>
      <StreamStatus
        state={state}
        label="Live updates"
        sourceDown={health.redisDown ? 'Redis unreachable' : undefined}
      />
      <Loadable data={initial.data ? shown : undefined} error={initial.error} what="Process logs">
        {(ls) => (
          <div ref={box} class="log-box" role="log" aria-label="Process log lines" tabIndex={0}>
            {ls.length === 0 ? (
              <p class="muted">No lines match.</p>
            ) : (
              ls.map((l) => (
                <div key={l.id} class={`log-line log-${l.level}`}>
                  {formatLogLine(l)}
                </div>
              ))
            )}
          </div>
        )}
      </Loadable>
    </Section>
  );
}

/** Every gateway replica and worker with health and commands, and their live logs. */
export function Cluster() {
  const { api } = usePanel();
  const processes = useResource(
    (signal) => api.get<{ processes: Member[] }>('/api/v1/processes', undefined, signal),
    [api],
    5000,
  );
  const members = processes.data?.processes ?? [];
  return (
    <>
      <Section
        id="processes"
        title="Processes"
        actions={
          <button type="button" onClick={processes.reload} disabled={processes.loading}>
            Refresh
          </button>
        }
      >
        <Loadable data={processes.data} error={processes.error} what="Processes">
          {(d) =>
            d.processes.length === 0 ? (
              <p class="muted">No process has registered in Redis yet.</p>
            ) : (
              <div class="table-wrap">
                <table data-testid="processes">
                  <caption>
                    Gateway replicas and workers sharing this Redis (select a name for its checks)
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Status</th>
                      <th scope="col">Health</th>
                      <th scope="col" class="num">
                        PID
                      </th>
                      <th scope="col">Uptime</th>
                      <th scope="col" class="num">
                        Restarts
                      </th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.processes.map((m) => (
                      <MemberRow key={m.name} m={m} onChanged={processes.reload} />
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loadable>
      </Section>
      <LiveLogs members={members} />
    </>
  );
}
