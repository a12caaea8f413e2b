import { useEffect, useMemo, useState } from 'preact/hooks';
import { asApiError, useAction, usePanel, useResource } from '../components/hooks';
import { Loadable } from '../components/ui';
import {
  compatEntry,
  modelsText,
  upstreamKeyEntry,
  type CompatForm as CompatFields,
  type KeySection,
  type ModelAlias,
  type Problems,
  type UpstreamKeyForm as KeyFields,
} from '../lib/config-forms';
import { maskSecret } from '../lib/format';
import { keySections } from '../lib/providers';

type Entry = Record<string, unknown>;

/** The section the form opens on (most teams start with Claude keys). */
const FIRST_SECTION = 'claude-api-key';

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** A labelled input with its problem under it. */
function Field<F>({
  id,
  name,
  label,
  form,
  setForm,
  problems,
  multiline,
  secret,
  hint,
}: {
  id: string;
  name: keyof F & string;
  label: string;
  form: F;
  setForm: (f: F) => void;
  problems: Problems<F>;
  multiline?: boolean;
  secret?: boolean;
  hint?: string;
}) {
  const [show, setShow] = useState(false);
  const value = (form as Record<string, string>)[name] ?? '';
  const err = problems[name];
  const describedBy = [err ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    value,
    'aria-invalid': err ? true : undefined,
    'aria-describedby': describedBy || undefined,
    onInput: (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
      setForm({ ...form, [name]: e.currentTarget.value }),
  };
  return (
    <div class={multiline ? 'field field-wide' : 'field'}>
      <label for={id}>{label}</label>
      {multiline ? (
        <textarea rows={3} spellcheck={false} class="mono" {...common} />
      ) : secret && !show ? (
        <input type="password" autoComplete="off" spellcheck={false} class="mono" {...common} />
      ) : (
        <input
          type="text"
          autoComplete="off"
          spellcheck={false}
          class={secret ? 'mono' : undefined}
          {...common}
        />
      )}
      {secret && (
        <button type="button" class="link" onClick={() => setShow((s) => !s)}>
          {show ? 'Hide' : 'Show'}
        </button>
      )}
      {hint && (
        <span id={`${id}-hint`} class="muted small">
          {hint}
        </span>
      )}
      {err && (
        <span id={`${id}-err`} class="field-error">
          {err}
        </span>
      )}
    </div>
  );
}

const EMPTY_KEY: KeyFields = {
  apiKey: '',
  baseUrl: '',
  prefix: '',
  proxyUrl: '',
  priority: '',
  models: '',
};

/** Add or edit one entry of an API-key list of config.yaml (the gateway's registry names them). */
export function UpstreamKeyForm({ revision, onSaved }: { revision: number; onSaved: () => void }) {
  const { api, providers } = usePanel();
  const sections = useMemo(() => keySections(providers), [providers]);
  const [section, setSection] = useState<KeySection>(FIRST_SECTION);
  const list = useResource(
    async (signal) => {
      const r = await api.get<Record<string, Entry[] | undefined>>(
        `/v0/management/${section}`,
        undefined,
        signal,
      );
      return r[section] ?? [];
    },
    [api, section, revision],
  );
  const [index, setIndex] = useState(-1);
  const [form, setForm] = useState<KeyFields>(EMPTY_KEY);
  const [problems, setProblems] = useState<Problems<KeyFields>>({});
  const { busy, run } = useAction();
  useEffect(() => {
    setIndex(-1);
    setForm(EMPTY_KEY);
    setProblems({});
  }, [section]);
  const pick = (i: number) => {
    setIndex(i);
    setProblems({});
    const e = list.data?.[i];
    setForm(
      e
        ? {
            apiKey: str(e['api-key']),
            baseUrl: str(e['base-url']),
            prefix: str(e.prefix),
            proxyUrl: str(e['proxy-url']),
            priority: e.priority ? str(e.priority) : '',
            models: modelsText(e.models as ModelAlias[] | undefined),
          }
        : EMPTY_KEY,
    );
  };
  const save = (e: Event) => {
    e.preventDefault();
    const entries = [...(list.data ?? [])];
    const at = index >= 0 ? index : entries.length;
    const r = upstreamKeyEntry(section, at, form, index >= 0 ? entries[index] : {});
    if (!r.ok) {
      setProblems(r.problems);
      return;
    }
    setProblems({});
    entries[at] = r.entry;
    void run(async () => {
      try {
        await api.request('PUT', `/v0/management/${section}`, { json: entries });
      } catch (err) {
        setProblems({ apiKey: asApiError(err).message });
        throw err;
      }
      list.reload();
      onSaved();
      setIndex(at);
    }, `${section}[${at}] saved: every replica reloads it within a second.`);
  };
  const remove = () => {
    if (index < 0 || !window.confirm(`Remove ${section}[${index}] from config.yaml?`)) return;
    const entries = (list.data ?? []).filter((_, i) => i !== index);
    void run(async () => {
      await api.request('PUT', `/v0/management/${section}`, { json: entries });
      list.reload();
      onSaved();
      pick(-1);
    }, `${section}[${index}] removed.`);
  };
  return (
    <form class="filters" onSubmit={save} aria-label="Upstream API key entry">
      <div class="field">
        <label for="uk-section">Provider</label>
        <select id="uk-section" value={section} onChange={(e) => setSection(e.currentTarget.value)}>
          {sections.map((s) => (
            <option key={s.section} value={s.section}>
              {`${s.label} (${s.section})`}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="uk-entry">Entry</label>
        <Loadable data={list.data} error={list.error} what="Entries">
          {(entries) => (
            <select
              id="uk-entry"
              value={String(index)}
              onChange={(e) => pick(Number(e.currentTarget.value))}
            >
              <option value="-1">New entry</option>
              {entries.map((en, i) => (
                <option key={i} value={String(i)}>
                  [{i}] {maskSecret(str(en['api-key']))}
                  {en['base-url'] ? ` · ${str(en['base-url'])}` : ''}
                </option>
              ))}
            </select>
          )}
        </Loadable>
      </div>
      <Field id="uk-key" name="apiKey" label="API key" secret {...{ form, setForm, problems }} />
      <Field
        id="uk-base"
        name="baseUrl"
        label="Base URL (empty: the provider's)"
        {...{ form, setForm, problems }}
      />
      <Field id="uk-prefix" name="prefix" label="Model prefix" {...{ form, setForm, problems }} />
      <Field id="uk-proxy" name="proxyUrl" label="Proxy URL" {...{ form, setForm, problems }} />
      <Field id="uk-priority" name="priority" label="Priority" {...{ form, setForm, problems }} />
      <Field
        id="uk-models"
        name="models"
        label="Models"
        multiline
        hint="One per line: name, or name = alias. Empty: the provider's catalog."
        {...{ form, setForm, problems }}
      />
      <div class="field field-button">
        <button type="submit" class="primary" disabled={busy}>
          {index >= 0 ? 'Save entry' : 'Add entry'}
        </button>
        {index >= 0 && (
          <button type="button" class="danger" disabled={busy} onClick={remove}>
            Remove entry
          </button>
        )}
      </div>
    </form>
  );
}

const EMPTY_COMPAT: CompatFields = { name: '', baseUrl: '', apiKeys: '', prefix: '', models: '' };

/** Add or edit an openai-compatibility provider. */
export function CompatForm({ revision, onSaved }: { revision: number; onSaved: () => void }) {
  const { api } = usePanel();
  const list = useResource(
    async (signal) => {
      const r = await api.get<{ 'openai-compatibility'?: Entry[] }>(
        '/v0/management/openai-compatibility',
        undefined,
        signal,
      );
      return r['openai-compatibility'] ?? [];
    },
    [api, revision],
  );
  const [index, setIndex] = useState(-1);
  const [form, setForm] = useState<CompatFields>(EMPTY_COMPAT);
  const [problems, setProblems] = useState<Problems<CompatFields>>({});
  const { busy, run } = useAction();
  const pick = (i: number) => {
    setIndex(i);
    setProblems({});
    const e = list.data?.[i];
    const keys = Array.isArray(e?.['api-key-entries'])
      ? (e['api-key-entries'] as Entry[]).map((k) => str(k['api-key'])).join('\n')
      : '';
    setForm(
      e
        ? {
            name: str(e.name),
            baseUrl: str(e['base-url']),
            apiKeys: keys,
            prefix: str(e.prefix),
            models: modelsText(e.models as ModelAlias[] | undefined),
          }
        : EMPTY_COMPAT,
    );
  };
  const save = (e: Event) => {
    e.preventDefault();
    const entries = [...(list.data ?? [])];
    const at = index >= 0 ? index : entries.length;
    const others = entries.filter((_, i) => i !== index).map((en) => str(en.name));
    const r = compatEntry(at, form, others, index >= 0 ? entries[index] : {});
    if (!r.ok) {
      setProblems(r.problems);
      return;
    }
    setProblems({});
    entries[at] = r.entry;
    void run(
      async () => {
        try {
          await api.request('PUT', '/v0/management/openai-compatibility', { json: entries });
        } catch (err) {
          setProblems({ name: asApiError(err).message });
          throw err;
        }
        list.reload();
        onSaved();
        setIndex(at);
      },
      `openai-compatibility "${r.entry.name as string}" saved.`,
    );
  };
  return (
    <form class="filters" onSubmit={save} aria-label="OpenAI-compatible provider">
      <div class="field">
        <label for="oc-entry">Provider</label>
        <Loadable data={list.data} error={list.error} what="Providers">
          {(entries) => (
            <select
              id="oc-entry"
              value={String(index)}
              onChange={(e) => pick(Number(e.currentTarget.value))}
            >
              <option value="-1">New provider</option>
              {entries.map((en, i) => (
                <option key={i} value={String(i)}>
                  {str(en.name) || `[${i}]`}
                </option>
              ))}
            </select>
          )}
        </Loadable>
      </div>
      <Field id="oc-name" name="name" label="Name" {...{ form, setForm, problems }} />
      <Field id="oc-base" name="baseUrl" label="Base URL" {...{ form, setForm, problems }} />
      <Field id="oc-prefix" name="prefix" label="Model prefix" {...{ form, setForm, problems }} />
      <Field
        id="oc-keys"
        name="apiKeys"
        label="API keys"
        multiline
        hint="One per line."
        {...{ form, setForm, problems }}
      />
      <Field
        id="oc-models"
        name="models"
        label="Models"
        multiline
        hint="One per line: name, or name = alias."
        {...{ form, setForm, problems }}
      />
      <div class="field field-button">
        <button type="submit" class="primary" disabled={busy}>
          {index >= 0 ? 'Save provider' : 'Add provider'}
        </button>
      </div>
    </form>
  );
}
