import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { asApiError, useAction, usePanel, useResource } from '../components/hooks';
import { Loadable, Section } from '../components/ui';
import { ApiError } from '../lib/api-error';
import { configProblems, type ConfigProblem } from '../lib/config-errors';
import { maskSecret } from '../lib/format';

/** Line height of the editor in px (the gutter and the jump-to-line scroll use it). */
const LINE_PX = 20;

/** config.yaml in a text editor: the server validates a save and refuses it with located problems. */
function ConfigEditor({ onSaved }: { onSaved: () => void }) {
  const { api, notify } = usePanel();
  const [text, setText] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const [problems, setProblems] = useState<ConfigProblem[]>([]);
  const [loadError, setLoadError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const escaped = useRef(false);

  const load = async () => {
    try {
      const t = await api.text('/v0/management/config.yaml');
      setText(t);
      setSaved(t);
      setProblems([]);
      setLoadError(undefined);
    } catch (err) {
      setLoadError(asApiError(err));
    }
  };
  useEffect(() => {
    void load();
    // load once per sign-in
  }, [api]);

  const lineCount = useMemo(() => (text ?? '').split('\n').length, [text]);
  const badLines = useMemo(
    () => new Set(problems.map((p) => p.line).filter((l) => l !== undefined)),
    [problems],
  );

  const goToLine = (line: number) => {
    const el = area.current;
    if (!el || text === undefined) return;
    const lines = text.split('\n');
    let start = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) start += (lines[i]?.length ?? 0) + 1;
    el.focus();
    el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    el.scrollTop = Math.max(0, (line - 3) * LINE_PX);
  };

  const save = async () => {
    if (text === undefined) return;
    setBusy(true);
    try {
      await api.request('PUT', '/v0/management/config.yaml', {
        text,
        contentType: 'application/yaml',
      });
      setProblems([]);
      notify('config.yaml saved: every replica reloads it within a second.', 'ok');
      onSaved();
      await load();
    } catch (err) {
      const e = asApiError(err);
      if (e.status === 400 || e.status === 422) {
        setProblems(configProblems(e.body, text));
      } else {
        notify(`Saving failed: ${e.message}`, 'error');
      }
    } finally {
      setBusy(false);
    }
  };

  if (loadError) {
    return (
      <Loadable data={undefined} error={loadError} what="config.yaml">
        {() => null}
      </Loadable>
    );
  }
  if (text === undefined) return <p class="muted">Loading config.yaml…</p>;
  const dirty = text !== saved;
  return (
    <div class="editor-block">
      <p id="config-help" class="muted">
        The gateway checks the whole file before it writes anything: a YAML or setting error is
        listed below with its line, and the file on disk stays as it was.
      </p>
      <div class="editor">
        <div ref={gutter} class="gutter" aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => (
            <div key={i} class={badLines.has(i + 1) ? 'gutter-line gutter-bad' : 'gutter-line'}>
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          id="config-text"
          ref={area}
          aria-label="config.yaml"
          aria-describedby="config-help"
          aria-invalid={problems.length > 0 ? true : undefined}
          spellcheck={false}
          autoComplete="off"
          wrap="off"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            // Tab indents (YAML wants spaces); Escape then Tab leaves the editor.
            if (
              e.key === 'Tab' &&
              !e.shiftKey &&
              !e.altKey &&
              !e.ctrlKey &&
              !e.metaKey &&
              !escaped.current
            ) {
              e.preventDefault();
              const el = e.currentTarget;
              el.setRangeText('  ', el.selectionStart, el.selectionEnd, 'end');
              setText(el.value);
            }
            escaped.current = e.key === 'Escape';
          }}
        />
      </div>
      <p class="muted small">
        Tab inserts two spaces; press Escape first to move focus out with Tab.
      </p>
      {problems.length > 0 && (
        <div class="problems" role="alert" data-testid="config-problems">
          <h3>
            The gateway refused this file ({problems.length} problem
            {problems.length === 1 ? '' : 's'}); nothing was saved.
          </h3>
          <ul>
            {problems.map((p, i) => (
              <li key={i}>
                {p.line !== undefined ? (
                  <button type="button" class="link" onClick={() => goToLine(p.line ?? 1)}>
                    Line {p.line}
                    {p.column !== undefined ? `, column ${p.column}` : ''}
                  </button>
                ) : (
                  <span>File</span>
                )}
                : {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="button-row">
        <button type="button" class="primary" onClick={() => void save()} disabled={busy || !dirty}>
          {busy ? 'Checking…' : 'Check and save'}
        </button>
        <button
          type="button"
          onClick={() => {
            if (
              !dirty ||
              window.confirm('Discard your changes and load the file from the gateway?')
            )
              void load();
          }}
          disabled={busy}
        >
          Reload from gateway
        </button>
        {dirty && <span class="muted">Unsaved changes</span>}
      </div>
    </div>
  );
}

/** 24 random bytes as a client key. */
function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `sk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The proxy's client keys (`api-keys`). */
function ApiKeys({ revision }: { revision: number }) {
  const { api } = usePanel();
  const keys = useResource(
    (signal) => api.get<{ 'api-keys': string[] }>('/v0/management/api-keys', undefined, signal),
    [api, revision],
  );
  const [draft, setDraft] = useState('');
  const [revealed, setRevealed] = useState<string | undefined>();
  const { busy, run } = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    const k = draft.trim();
    if (!k) return;
    void run(async () => {
      // old = new: replaces the key when present, appends it otherwise (no duplicate, no race)
      await api.request('PATCH', '/v0/management/api-keys', { json: { old: k, new: k } });
      setDraft('');
      setRevealed(k);
      keys.reload();
    }, 'Key added: clients can use it within a second.');
  };
  const remove = (k: string) => {
    if (!window.confirm(`Remove the key ${maskSecret(k)}? Clients using it get 401 from now on.`))
      return;
    void run(async () => {
      await api.request('DELETE', '/v0/management/api-keys', { query: { value: k } });
      keys.reload();
    }, 'Key removed.');
  };
  return (
    <Loadable data={keys.data} error={keys.error} what="API keys">
      {(d) => (
        <>
          {d['api-keys'].length === 0 ? (
            <p class="notice notice-warn">
              No client keys: the proxy is open to anyone who can reach it.
            </p>
          ) : (
            <ul class="key-list" data-testid="api-keys">
              {d['api-keys'].map((k, i) => (
                <li key={`${i}-${k}`}>
                  <span class="mono">{revealed === k ? k : maskSecret(k)}</span>
                  <button
                    type="button"
                    onClick={() => setRevealed(revealed === k ? undefined : k)}
                    aria-label={`${revealed === k ? 'Hide' : 'Show'} key ${i + 1}`}
                  >
                    {revealed === k ? 'Hide' : 'Show'}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    onClick={() => remove(k)}
                    aria-label={`Remove key ${i + 1}`}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          <form class="inline-form" onSubmit={add}>
            <label for="new-key">New client key</label>
            <input
              id="new-key"
              class="mono"
              value={draft}
              autoComplete="off"
              spellcheck={false}
              onInput={(e) => setDraft(e.currentTarget.value)}
            />
            <button type="button" onClick={() => setDraft(generateKey())}>
              Generate
            </button>
            <button type="submit" class="primary" disabled={busy || !draft.trim()}>
              Add key
            </button>
          </form>
        </>
      )}
    </Loadable>
  );
}

/** config.yaml editor and the client keys. */
export function Settings() {
  // A saved config.yaml may change the keys: the list reloads after every save.
  const [revision, setRevision] = useState(0);
  const onSaved = useCallback(() => setRevision((r) => r + 1), []);
  return (
    <>
      <Section id="config-yaml" title="config.yaml">
        <ConfigEditor onSaved={onSaved} />
      </Section>
      <Section id="api-keys" title="Client API keys">
        <ApiKeys revision={revision} />
      </Section>
    </>
  );
}
