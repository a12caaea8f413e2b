import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { asApiError, useAction, useHashQuery, usePanel, useResource } from '../components/hooks';
import { Badge, Loadable, LoadProblem, Section, type Tone } from '../components/ui';
import { ApiError } from '../lib/api-error';
import {
  credentialRow,
  filterRows,
  quotaBars,
  type CredentialFilter,
  type CredentialRow,
  type CredentialState,
} from '../lib/credentials';
import { formatCount, formatPercent, formatRelative, formatTime, maskSecret } from '../lib/format';
import type { AuthFile, AuthStatus, AuthUrl, ProbeResult, QuotaSnapshot } from '../lib/types';
import { keySections, loginOptions, quotaRoutes, type LoginOption } from '../lib/providers';

const STATE_TONE: Record<CredentialState, Tone> = {
  active: 'ok',
  disabled: 'muted',
  cooling: 'warn',
  error: 'bad',
  unavailable: 'warn',
};

/** Quota bars of one account, from the worker's latest poll. */
function QuotaCell({ provider, accountId }: { provider: string; accountId: string }) {
  const { api } = usePanel();
  const quota = useResource(
    (signal) =>
      api.get<QuotaSnapshot>(
        `/api/cliproxy/quota/${encodeURIComponent(provider)}/${encodeURIComponent(accountId)}`,
        undefined,
        signal,
      ),
    [api, provider, accountId],
    60_000,
  );
  if (!quota.data) {
    if (!quota.error) return <span class="muted">…</span>;
    if (quota.error.missingRoute) return <span class="muted">quota API not available</span>;
    if (quota.error.status === 404) return <span class="muted">no quota data yet</span>;
    return <span class="muted">quota unavailable: {quota.error.message}</span>;
  }
  const q = quota.data;
  if (!q.success) return <span class="muted">{q.error ?? 'no quota data'}</span>;
  const bars = quotaBars(q);
  if (bars.length === 0) return <span class="muted">no quota windows reported</span>;
  return (
    <ul class="quota-list">
      {bars.map((b) => (
        <li key={b.name}>
          <span class="quota-label">
            {b.name}: {Math.round(b.remaining)}% left
            {b.resetTime && `, resets ${formatRelative(b.resetTime)}`}
          </span>
          <span class="quota-bar" aria-hidden="true">
            <span class={`quota-fill quota-${b.level}`} style={{ width: `${b.remaining}%` }} />
          </span>
        </li>
      ))}
    </ul>
  );
}

function AccountRow({ row, onChanged }: { row: CredentialRow; onChanged: () => void }) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const [test, setTest] = useState<ProbeResult | 'running' | undefined>();
  const toggle = () =>
    void run(
      async () => {
        await api.request('PATCH', '/v0/management/auth-files/status', {
          json: { name: row.name, disabled: !row.disabled },
        });
        onChanged();
      },
      `${row.label} ${row.disabled ? 'enabled' : 'disabled'}`,
    );
  const remove = () => {
    if (
      !window.confirm(
        `Delete ${row.name}? The account's tokens are removed from the auth directory.`,
      )
    )
      return;
    void run(async () => {
      await api.request('DELETE', '/v0/management/auth-files', { query: { name: row.name } });
      onChanged();
    }, `${row.name} deleted`);
  };
  const runTest = () => {
    setTest('running');
    void run(async () => {
      try {
        const r = await api.json<ProbeResult>('POST', '/v0/management/credentials/test', {
          json: { auth_index: row.authIndex },
        });
        setTest(r);
        onChanged();
      } catch (err) {
        setTest(undefined);
        throw err;
      }
    });
  };
  const total = row.success + row.failed;
  return (
    <tr data-testid={`credential-${row.name}`}>
      <th scope="row">
        <span class="cell-title">{row.label}</span>
        {row.label !== row.name && <span class="cell-sub mono">{row.name}</span>}
        {row.plan && <span class="cell-sub">plan: {row.plan}</span>}
      </th>
      <td data-label="Provider">{row.provider}</td>
      <td data-label="Status">
        <Badge tone={STATE_TONE[row.state]}>
          {row.state === 'cooling' ? 'cooling now' : row.state}
        </Badge>
        {row.coolingUntil && (
          <span class="cell-sub">
            until {formatTime(row.coolingUntil)} ({formatRelative(row.coolingUntil)})
          </span>
        )}
        {row.detail && <span class="cell-sub">{row.detail}</span>}
        {row.modelCooldowns.map((m) => (
          <span class="cell-sub" key={m.model}>
            {m.model} cooling now, until {formatTime(m.until)} ({formatRelative(m.until)})
          </span>
        ))}
        {row.lastError && (
          <span class="cell-sub last-error" data-testid="last-error">
            last error {formatRelative(row.lastError.at)}: {row.lastError.status}
            {row.lastError.message ? ` ${row.lastError.message}` : ''}
          </span>
        )}
      </td>
      <td data-label="Requests" class="nowrap">
        <span data-testid="counts">
          {formatCount(row.success)} ok · {formatCount(row.failed)} failed
        </span>
        {total > 0 && (
          <span class="cell-sub">{formatPercent(row.failed / total)} failure rate</span>
        )}
      </td>
      <td data-label="Last used">
        {row.lastUsed ? (
          <span title={formatTime(row.lastUsed)}>{formatRelative(row.lastUsed)}</span>
        ) : (
          'never'
        )}
        {row.lastRefresh && (
          <span class="cell-sub" title={formatTime(row.lastRefresh)}>
            token refreshed {formatRelative(row.lastRefresh)}
          </span>
        )}
      </td>
      <td data-label="Quota">
        {row.quota ? (
          <QuotaCell provider={row.quota.provider} accountId={row.quota.accountId} />
        ) : (
          '–'
        )}
      </td>
      <td class="actions" data-label="Actions">
        {row.isFile ? (
          <>
            <button
              type="button"
              onClick={runTest}
              disabled={busy || row.disabled}
              aria-label={`Test ${row.name}`}
            >
              Test
            </button>
            <button
              type="button"
              onClick={toggle}
              disabled={busy}
              aria-label={`${row.disabled ? 'Enable' : 'Disable'} ${row.name}`}
            >
              {row.disabled ? 'Enable' : 'Disable'}
            </button>
            <button
              type="button"
              class="danger"
              onClick={remove}
              disabled={busy}
              aria-label={`Delete ${row.name}`}
            >
              Delete
            </button>
          </>
        ) : (
          <span class="muted">edit in config.yaml</span>
        )}
        {test && (
          <span class="cell-sub test-result" role="status" data-testid="test-result">
            {test === 'running'
              ? 'Testing…'
              : test.ok
                ? `Works: ${test.status} from ${test.model} in ${test.latency_ms} ms`
                : `Failed: ${test.status === 0 ? 'no answer' : test.status} ${test.message}`}
          </span>
        )}
      </td>
    </tr>
  );
}

function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const input = useRef<HTMLInputElement>(null);
  const [result, setResult] = useState<string>();
  const submit = (e: Event) => {
    e.preventDefault();
    const files = input.current?.files;
    if (!files || files.length === 0) {
      setResult('Choose one or more auth files (.json) first.');
      return;
    }
    const form = new FormData();
    for (const f of Array.from(files)) form.append('file', f, f.name);
    void run(async () => {
      const res = await api.request('POST', '/v0/management/auth-files', { form });
      const text = await res.text();
      // 207: some files were refused; the body says which and why
      setResult(
        res.status === 207
          ? `Some files were refused: ${text}`
          : `Uploaded ${files.length} file(s).`,
      );
      if (input.current) input.current.value = '';
      onUploaded();
    });
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <label for="auth-upload">Upload auth files (CLIProxyAPI JSON)</label>
      <input id="auth-upload" ref={input} type="file" accept=".json,application/json" multiple />
      <button type="submit" disabled={busy}>
        Upload
      </button>
      {result && (
        <p class="muted" role="status">
          {result}
        </p>
      )}
    </form>
  );
}

type LoginState =
  | { kind: 'idle' }
  | {
      kind: 'waiting';
      url: string;
      state: string;
      userCode?: string;
      provider: string;
      /** The route id the login was started with (what oauth-callback takes as provider). */
      providerId: string;
    }
  | { kind: 'done'; provider: string }
  | { kind: 'failed'; message: string };

/** Start an OAuth login and poll its status until the account file is written. */
function OAuthLogin({ onDone }: { onDone: () => void }) {
  const { api, providers } = usePanel();
  // The logins the gateway can start, from its provider registry.
  const logins = useMemo(() => loginOptions(providers), [providers]);
  const [provider, setProvider] = useState<string>('');
  const [project, setProject] = useState('');
  const [login, setLogin] = useState<LoginState>({ kind: 'idle' });
  const { busy, run } = useAction();
  const selected: LoginOption | undefined = logins.find((l) => l.id === provider) ?? logins[0];

  useEffect(() => {
    if (login.kind !== 'waiting') return;
    let stopped = false;
    const started = Date.now();
    const poll = async () => {
      while (!stopped && Date.now() - started < 10 * 60_000) {
        await new Promise((r) => setTimeout(r, 2000));
        if (stopped) return;
        try {
          const s = await api.get<AuthStatus>('/v0/management/get-auth-status', {
            state: login.state,
          });
          if (stopped) return;
          if (s.status === 'ok') {
            setLogin({ kind: 'done', provider: login.provider });
            onDone();
            return;
          }
          if (s.status === 'error') {
            setLogin({ kind: 'failed', message: s.error ?? 'the provider refused the login' });
            return;
          }
        } catch (err) {
          const e = asApiError(err);
          if (e.status !== 0) {
            setLogin({ kind: 'failed', message: e.message });
            return;
          }
        }
      }
      if (!stopped)
        setLogin({ kind: 'failed', message: 'the login was not completed within 10 minutes' });
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [login, api, onDone]);

  const start = (e: Event) => {
    e.preventDefault();
    if (!selected) return;
    void run(async () => {
      const query =
        selected.project && project.trim()
          ? { project_id: project.trim(), is_webui: true }
          : { is_webui: true };
      const r = await api.get<AuthUrl>(`/v0/management/${selected.id}-auth-url`, query);
      const url = r.url ?? r.verification_uri;
      if (!url || !r.state) throw new ApiError(0, 'The gateway did not return a login URL', r);
      setLogin({
        kind: 'waiting',
        url,
        state: r.state,
        userCode: r.user_code ?? r.userCode,
        provider: selected.label,
        providerId: selected.id,
      });
    });
  };

  return (
    <div>
      <form class="inline-form" onSubmit={start}>
        <label for="oauth-provider">Provider</label>
        <select
          id="oauth-provider"
          value={selected?.id ?? ''}
          onChange={(e) => setProvider(e.currentTarget.value)}
        >
          {logins.map((l) => (
            <option key={l.id} value={l.id}>
              {l.label}
            </option>
          ))}
        </select>
        {selected?.project && (
          <>
            <label for="oauth-project">
              Google Cloud project (optional, ALL for every project)
            </label>
            <input
              id="oauth-project"
              value={project}
              onInput={(e) => setProject(e.currentTarget.value)}
            />
          </>
        )}
        <button
          type="submit"
          class="primary"
          disabled={busy || !selected || login.kind === 'waiting'}
        >
          Start login
        </button>
      </form>
      <div role="status" class="login-status">
        {login.kind === 'waiting' && (
          <WaitingLogin
            login={login}
            onCancel={() => setLogin({ kind: 'idle' })}
            onPasted={() => {
              setLogin({ kind: 'done', provider: login.provider });
              onDone();
            }}
          />
        )}
        {login.kind === 'done' && (
          <p class="notice notice-ok" data-testid="login-done">
            {login.provider} login complete: the account was added.
          </p>
        )}
        {login.kind === 'failed' && <p class="notice notice-bad">Login failed: {login.message}</p>}
      </div>
    </div>
  );
}

/**
 * A login waiting for its browser step: the link (with a copy button, for a browser on another
 * machine), the device code when there is one, and a field for the address the browser ended
 * on. On a server the provider's localhost redirect never reaches the gateway: pasting that
 * address finishes the login through /v0/management/oauth-callback.
 */
function WaitingLogin({
  login,
  onCancel,
  onPasted,
}: {
  login: Extract<LoginState, { kind: 'waiting' }>;
  onCancel: () => void;
  onPasted: () => void;
}) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const [pasted, setPasted] = useState('');
  const [copied, setCopied] = useState(false);
  const [problem, setProblem] = useState<string>();
  const linkField = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(login.url);
      setCopied(true);
    } catch {
      // No clipboard (plain http, or permission refused): select it for Ctrl+C instead.
      linkField.current?.select();
      setCopied(false);
      setProblem('Copying is blocked here: the link is selected, press Ctrl+C (⌘C).');
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const text = pasted.trim();
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (!url.searchParams.has('code') && !url.searchParams.has('error'))) {
      setProblem(
        'redirect_url: paste the whole address the browser ended on (it holds code= and state=).',
      );
      return;
    }
    setProblem(undefined);
    void run(async () => {
      await api.request('POST', '/v0/management/oauth-callback', {
        json: { provider: login.providerId, redirect_url: text },
      });
      onPasted();
    });
  };
  return (
    <div class="login-waiting">
      <p>
        Waiting for the {login.provider} login. Open the sign-in page in a browser
        {login.userCode && (
          <>
            {' '}
            and enter the code <strong class="mono">{login.userCode}</strong>
          </>
        )}
        . This page checks every 2 s.
      </p>
      <div class="inline-form">
        <label for="login-url">Sign-in link</label>
        <input id="login-url" ref={linkField} class="mono" readOnly value={login.url} />
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <a href={login.url} target="_blank" rel="noopener noreferrer">
          Open the sign-in page
        </a>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {!login.userCode && (
        <form class="inline-form" onSubmit={submit}>
          <label for="login-redirect">
            If the browser ended on a page that does not load (a localhost address), paste its
            address here
          </label>
          <input
            id="login-redirect"
            class="mono"
            value={pasted}
            placeholder="http://localhost:54545/callback?code=…&state=…"
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'login-redirect-err' : undefined}
            onInput={(e) => setPasted(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={busy || !pasted.trim()}>
            Finish login
          </button>
        </form>
      )}
      {problem && (
        <p id="login-redirect-err" class="field-error">
          {problem}
        </p>
      )}
    </div>
  );
}

/** An API-key entry of config.yaml as `/v0/management/config` lists it. */
interface KeyEntry {
  'api-key'?: string;
  'base-url'?: string;
  prefix?: string;
  name?: string;
  models?: { name: string; alias?: string }[];
  'api-key-entries'?: { 'api-key'?: string }[];
}

function ConfigKeys() {
  const { api, providers } = usePanel();
  // The API-key lists of the gateway's provider registry, then the OpenAI-compatible entries.
  const sections = useMemo(
    () => [...keySections(providers).map((k) => k.section), 'openai-compatibility'],
    [providers],
  );
  const config = useResource(
    (signal) => api.get<Record<string, unknown>>('/v0/management/config', undefined, signal),
    [api],
    60_000,
  );
  const rows = useMemo(() => {
    const out: { section: string; key: string; baseUrl: string; models: string; prefix: string }[] =
      [];
    for (const section of sections) {
      const list = config.data?.[section];
      if (!Array.isArray(list)) continue;
      for (const raw of list as KeyEntry[]) {
        const models = (raw.models ?? []).map((m) => m.alias || m.name).join(', ') || 'catalog';
        const keys =
          section === 'openai-compatibility'
            ? (raw['api-key-entries'] ?? []).map((e) => e['api-key'] ?? '')
            : [raw['api-key'] ?? ''];
        for (const k of keys) {
          out.push({
            section:
              section === 'openai-compatibility'
                ? `openai-compatibility: ${raw.name ?? ''}`
                : section,
            key: k ? maskSecret(k) : '–',
            baseUrl: raw['base-url'] ?? '',
            models,
            prefix: raw.prefix ?? '',
          });
        }
      }
    }
    return out;
  }, [config.data, sections]);
  return (
    <Loadable data={config.data} error={config.error} what="Config API keys">
      {() =>
        rows.length === 0 ? (
          <p class="muted">No upstream API keys in config.yaml.</p>
        ) : (
          <div class="table-wrap">
            <table class="cards">
              <caption>Upstream API keys from config.yaml (edit them in Settings)</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Key</th>
                  <th scope="col">Base URL</th>
                  <th scope="col">Models</th>
                  <th scope="col">Prefix</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={`${r.section}-${i}`}>
                    <th scope="row">{r.section}</th>
                    <td class="mono" data-label="Key">
                      {r.key}
                    </td>
                    <td class="mono" data-label="Base URL">
                      {r.baseUrl || 'default'}
                    </td>
                    <td data-label="Models">{r.models}</td>
                    <td data-label="Prefix">{r.prefix || '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </Loadable>
  );
}

const STATES: readonly CredentialState[] = [
  'active',
  'cooling',
  'error',
  'unavailable',
  'disabled',
];

/** Search and provider/status filters, started from the page link (`?q=…&status=cooling`). */
function AccountFilters({
  filter,
  providers,
  onChange,
  shown,
  total,
}: {
  filter: CredentialFilter;
  providers: string[];
  onChange: (f: CredentialFilter) => void;
  shown: number;
  total: number;
}) {
  return (
    <form class="filters" aria-label="Account filters" onSubmit={(e) => e.preventDefault()}>
      <div class="field">
        <label for="cf-q">Search</label>
        <input
          id="cf-q"
          type="search"
          value={filter.q}
          placeholder="name, email, auth index"
          onInput={(e) => onChange({ ...filter, q: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="cf-provider">Provider</label>
        <select
          id="cf-provider"
          value={filter.provider}
          onChange={(e) => onChange({ ...filter, provider: e.currentTarget.value })}
        >
          <option value="">All providers</option>
          {providers.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="cf-status">Status</label>
        <select
          id="cf-status"
          value={filter.status}
          onChange={(e) => onChange({ ...filter, status: e.currentTarget.value })}
        >
          <option value="">Any status</option>
          {STATES.map((st) => (
            <option key={st} value={st}>
              {st === 'cooling' ? 'cooling now' : st}
            </option>
          ))}
        </select>
      </div>
      <p class="muted field-note" aria-live="polite">
        {shown === total ? `${total} accounts` : `${shown} of ${total} accounts`}
      </p>
    </form>
  );
}

/** Accounts (auth files) with state, counters, quota and tests; uploads; OAuth logins; config keys. */
export function Credentials() {
  const { api, providers: registry } = usePanel();
  const hashQuery = useHashQuery();
  const files = useResource(
    (signal) => api.get<{ files: AuthFile[] }>('/v0/management/auth-files', undefined, signal),
    [api],
    10_000,
  );
  const [filter, setFilter] = useState<CredentialFilter>(() => ({
    q: hashQuery.q ?? '',
    provider: hashQuery.provider ?? '',
    status: hashQuery.status ?? '',
  }));
  // A link from the attention list while this page is open sets the filters again.
  useEffect(() => {
    setFilter({
      q: hashQuery.q ?? '',
      provider: hashQuery.provider ?? '',
      status: hashQuery.status ?? '',
    });
  }, [hashQuery]);
  const routes = useMemo(() => quotaRoutes(registry), [registry]);
  const rows = useMemo(
    () => (files.data?.files ?? []).map((f) => credentialRow(f, Date.now(), routes)),
    [files.data, routes],
  );
  const providers = useMemo(() => [...new Set(rows.map((r) => r.provider))].sort(), [rows]);
  const shown = useMemo(() => filterRows(rows, filter), [rows, filter]);
  return (
    <>
      <Section
        id="accounts"
        title="Accounts"
        actions={
          <button type="button" onClick={files.reload} disabled={files.loading}>
            Refresh
          </button>
        }
      >
        <Loadable data={files.data} error={files.error} what="Accounts">
          {() =>
            rows.length === 0 ? (
              <p class="muted">No accounts yet: upload auth files or start a login below.</p>
            ) : (
              <>
                <AccountFilters
                  filter={filter}
                  providers={providers}
                  onChange={setFilter}
                  shown={shown.length}
                  total={rows.length}
                />
                {shown.length === 0 ? (
                  <p class="muted">No account matches these filters.</p>
                ) : (
                  <div class="table-wrap">
                    <table data-testid="accounts" class="cards">
                      <caption>
                        Accounts in the auth directory: routing state, requests (every replica,
                        retries included) and quota
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col">Account</th>
                          <th scope="col">Provider</th>
                          <th scope="col">Status</th>
                          <th scope="col">Requests</th>
                          <th scope="col">Last used</th>
                          <th scope="col">Quota</th>
                          <th scope="col">Actions</th>
                        </tr>
                      </thead>
                      <tbody>
                        {shown.map((r) => (
                          <AccountRow key={r.name} row={r} onChanged={files.reload} />
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            )
          }
        </Loadable>
        {!files.error?.missingRoute && <UploadForm onUploaded={files.reload} />}
      </Section>
      <Section id="oauth" title="Add an account with OAuth">
        <OAuthLoginGate onDone={files.reload} />
      </Section>
      <Section id="config-keys" title="API keys in config.yaml">
        <ConfigKeys />
      </Section>
    </>
  );
}

/** The login form, or why logins are not available here. */
function OAuthLoginGate({ onDone }: { onDone: () => void }) {
  const { api } = usePanel();
  // get-auth-status without a state answers 400 when the OAuth routes exist
  const probe = useResource(
    async (signal) => {
      try {
        await api.get('/v0/management/get-auth-status', undefined, signal);
      } catch (err) {
        const e = asApiError(err);
        if (e.missingRoute) throw e;
      }
      return true;
    },
    [api],
  );
  if (probe.error) return <LoadProblem error={probe.error} what="OAuth login" />;
  return <OAuthLogin onDone={onDone} />;
}
