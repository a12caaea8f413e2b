import { useEffect, useMemo, useState } from 'preact/hooks';
import { useAction, useHashQuery, usePanel, useResource } from '../components/hooks';
import { Badge, Loadable, Section, type Tone } from '../components/ui';
import {
  credentialRow,
  filterRows,
  quotaBars,
  type CredentialFilter,
  type CredentialRow,
  type CredentialState,
} from '../lib/credentials';
import { formatCount, formatPercent, formatRelative, formatTime } from '../lib/format';
import type { AuthFile, ProbeResult, QuotaSnapshot } from '../lib/types';
import { quotaRoutes } from '../lib/providers';
import { ConfigKeys, UploadForm } from './credentials-keys';
import { OAuthLoginGate } from './credentials-login';

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
