import { useEffect, useState } from 'preact/hooks';
import { asApiError, useAction, useHashQuery, usePanel, useResource } from '../components/hooks';
import { Badge, Loadable } from '../components/ui';
import { formatCount, formatPercent, formatRelative, formatTime } from '../lib/format';
import { pageHash } from '../lib/routes';
import type { ClientKey, ClientKeyList, KeyWindow } from '../lib/types';

/** What the key form edits. */
interface KeyForm {
  label: string;
  owner: string;
  /** `YYYY-MM-DD` from the date input, or a full ISO time kept as it was. */
  expires: string;
  note: string;
  /** Only when creating: a key of one's own instead of a generated one. */
  key: string;
}

const EMPTY: KeyForm = { label: '', owner: '', expires: '', note: '', key: '' };

/** Problems of a key form, by field; the message names the setting. */
export function keyFormProblems(f: KeyForm): Partial<Record<keyof KeyForm, string>> {
  const out: Partial<Record<keyof KeyForm, string>> = {};
  if (f.label.trim().length > 80) out.label = 'label: at most 80 characters';
  if (f.owner.trim().length > 120) out.owner = 'owner: at most 120 characters';
  if (f.note.length > 500) out.note = 'note: at most 500 characters';
  if (f.expires && !Number.isFinite(Date.parse(f.expires))) {
    out.expires = 'expires: a date such as 2026-01-31';
  }
  if (f.key && !/^[\x21-\x7e]{8,200}$/.test(f.key.trim())) {
    out.key = 'key: 8 to 200 printable characters without spaces';
  }
  return out;
}

function Window({ w }: { w: KeyWindow | undefined }) {
  if (!w) return <>–</>;
  return (
    <>
      {formatCount(w.requests)} req · {formatCount(w.tokens)} tok
      <span class="cell-sub">{formatPercent(w.failure_rate)} failed</span>
    </>
  );
}

function KeyFields({
  form,
  setForm,
  errors,
  creating,
  idPrefix,
}: {
  form: KeyForm;
  setForm: (f: KeyForm) => void;
  errors: Partial<Record<keyof KeyForm, string>>;
  creating: boolean;
  idPrefix: string;
}) {
  const field = (k: keyof KeyForm, label: string, extra: Record<string, string> = {}) => (
    <div class="field">
      <label for={`${idPrefix}-${k}`}>{label}</label>
      <input
        id={`${idPrefix}-${k}`}
        value={form[k]}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `${idPrefix}-${k}-err` : undefined}
        onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })}
        {...extra}
      />
      {errors[k] && (
        <span id={`${idPrefix}-${k}-err`} class="field-error">
          {errors[k]}
        </span>
      )}
    </div>
  );
  return (
    <>
      {field('label', 'Label')}
      {field('owner', 'Owner')}
      {field('expires', 'Expires (UTC date)', { type: 'date' })}
      {field('note', 'Note')}
      {creating &&
        field('key', 'Key (empty: generate one)', {
          class: 'mono',
          autoComplete: 'off',
          spellcheck: 'false',
        })}
    </>
  );
}

function KeyRow({ k, onChanged }: { k: ClientKey; onChanged: () => void }) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const [shown, setShown] = useState(false);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<KeyForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof KeyForm, string>>>({});
  const name = k.label || k.masked;
  const startEdit = () => {
    setForm({
      label: k.label,
      owner: k.owner,
      expires: k.expires ? k.expires.slice(0, 10) : '',
      note: k.note,
      key: '',
    });
    setErrors({});
    setEditing(true);
  };
  const save = (e: Event) => {
    e.preventDefault();
    const problems = keyFormProblems(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    void run(
      async () => {
        try {
          await api.request('PATCH', '/v0/management/client-keys', {
            json: {
              key_id: k.key_id,
              label: form.label.trim(),
              owner: form.owner.trim(),
              expires: form.expires,
              note: form.note,
            },
          });
        } catch (err) {
          const m = asApiError(err).message;
          const field = /^(\w+):/.exec(m)?.[1] as keyof KeyForm | undefined;
          if (field && field in EMPTY) setErrors({ [field]: m });
          throw err;
        }
        setEditing(false);
        onChanged();
      },
      `${form.label || k.masked} saved`,
    );
  };
  const remove = () => {
    if (!window.confirm(`Remove the key ${name}? Clients using it get 401 from now on.`)) return;
    void run(async () => {
      await api.request('DELETE', '/v0/management/client-keys', { query: { key_id: k.key_id } });
      onChanged();
    }, `${name} removed`);
  };
  return (
    <tr data-testid={`key-${k.key_id}`}>
      <th scope="row">
        <span class="cell-title">{k.label || <span class="muted">no label</span>}</span>
        <span class="cell-sub mono">{shown ? k.key : k.masked}</span>
        {k.owner && <span class="cell-sub">owner: {k.owner}</span>}
        {k.note && <span class="cell-sub">{k.note}</span>}
        {editing && (
          <form class="filters key-edit" onSubmit={save} aria-label={`Edit ${name}`}>
            <KeyFields
              form={form}
              setForm={setForm}
              errors={errors}
              creating={false}
              idPrefix={`edit-${k.key_id}`}
            />
            <div class="field field-button">
              <button type="submit" class="primary" disabled={busy}>
                Save
              </button>
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </th>
      <td data-label="Created">{k.created ? formatTime(k.created).slice(0, 10) : '–'}</td>
      <td data-label="Expires">
        {k.expired ? (
          <Badge tone="bad">expired</Badge>
        ) : k.expires ? (
          <span title={formatTime(k.expires)}>{formatRelative(k.expires)}</span>
        ) : (
          'never'
        )}
      </td>
      <td data-label="Last 24 h" data-testid="usage-24h">
        <Window w={k.usage?.['24h']} />
      </td>
      <td data-label="Last 7 days">
        <Window w={k.usage?.['7d']} />
      </td>
      <td data-label="Last used">
        {k.usage?.last_used ? formatRelative(k.usage.last_used) : 'never'}
      </td>
      <td class="actions" data-label="Actions">
        <button
          type="button"
          onClick={() => setShown((v) => !v)}
          aria-label={`${shown ? 'Hide' : 'Show'} the key ${name}`}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
        <button type="button" onClick={startEdit} aria-label={`Edit ${name}`}>
          Edit
        </button>
        <a href={pageHash('requests', { key: k.key_id })}>Requests</a>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={remove}
          aria-label={`Remove ${name}`}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** The proxy's client keys with their label, owner, expiry, note and traffic. */
export function ClientKeys({ revision, onSaved }: { revision: number; onSaved: () => void }) {
  const { api } = usePanel();
  const query = useHashQuery();
  const keys = useResource(
    (signal) => api.get<ClientKeyList>('/v0/management/client-keys', undefined, signal),
    [api, revision],
    30_000,
  );
  const [form, setForm] = useState<KeyForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof KeyForm, string>>>({});
  const [created, setCreated] = useState<ClientKey>();
  const { busy, run } = useAction();
  // A link from the attention list names the key to look at.
  useEffect(() => {
    if (query.key) document.querySelector(`[data-testid="key-${query.key}"]`)?.scrollIntoView();
  }, [query.key, keys.data]);
  const add = (e: Event) => {
    e.preventDefault();
    const problems = keyFormProblems(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    void run(async () => {
      let k: ClientKey;
      try {
        k = await api.json<ClientKey>('POST', '/v0/management/client-keys', {
          json: {
            ...(form.key.trim() ? { key: form.key.trim() } : {}),
            label: form.label.trim(),
            owner: form.owner.trim(),
            expires: form.expires,
            note: form.note,
          },
        });
      } catch (err) {
        const m = asApiError(err).message;
        const field = /^(\w+):/.exec(m)?.[1] as keyof KeyForm | undefined;
        if (field && field in EMPTY) setErrors({ [field]: m });
        throw err;
      }
      setCreated(k);
      setForm(EMPTY);
      keys.reload();
      onSaved();
    }, 'Key added: clients can use it within a second.');
  };
  return (
    <Loadable data={keys.data} error={keys.error} what="Client keys">
      {(d) => (
        <>
          {d['client-keys'].length === 0 ? (
            <p class="notice notice-warn">
              No client keys: the proxy is open to anyone who can reach it.
            </p>
          ) : (
            <div class="table-wrap">
              <table class="cards" data-testid="client-keys">
                <caption>
                  Keys clients use to call the proxy (api-keys), with who they belong to
                  (api-key-info) and their traffic
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last 24 h</th>
                    <th scope="col">Last 7 days</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {d['client-keys'].map((k) => (
                    <KeyRow key={k.key_id} k={k} onChanged={keys.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {d.usage_error && <p class="notice notice-warn">Traffic unavailable: {d.usage_error}</p>}
          {created && (
            <p class="notice notice-ok" role="status" data-testid="new-key">
              New key {created.label ? `"${created.label}"` : ''}:{' '}
              <span class="mono">{created.key}</span>. Give it to its owner now; it is also in
              config.yaml.{' '}
              <button type="button" class="link" onClick={() => setCreated(undefined)}>
                Dismiss
              </button>
            </p>
          )}
          <h3>Add a key</h3>
          <form class="filters" onSubmit={add} aria-label="Add a client key">
            <KeyFields form={form} setForm={setForm} errors={errors} creating idPrefix="new-key" />
            <div class="field field-button">
              <button type="submit" class="primary" disabled={busy}>
                Add key
              </button>
            </div>
          </form>
        </>
      )}
    </Loadable>
  );
}
