import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { asApiError, usePanel } from '../components/hooks';
import { Loadable, Section } from '../components/ui';
import { ApiError } from '../lib/api-error';
import { configProblems, type ConfigProblem } from '../lib/config-errors';
import { collectSecrets, maskYaml } from '../lib/secret-mask';
import { ClientKeys } from './settings-keys';
import { CompatForm, UpstreamKeyForm } from './settings-forms';

/** Line height of the editor in px (the gutter and the jump-to-line scroll use it). */
const LINE_PX = 20;

/** config.yaml in a text editor: the server validates a save and refuses it with located problems. */
function ConfigEditor({ revision, onSaved }: { revision: number; onSaved: () => void }) {
  const { api, notify } = usePanel();
  const [text, setText] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const [problems, setProblems] = useState<ConfigProblem[]>([]);
  const [loadError, setLoadError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const escaped = useRef(false);

  // Secrets are shown masked (as the gateway lists them) until asked; a save that still holds a
  // masked value keeps the stored secret, because the gateway restores the values it recognises.
  const [reveal, setReveal] = useState(false);
  const [real, setReal] = useState<string | undefined>();
  const [secrets, setSecrets] = useState<Map<string, string>>(new Map());
  const load = async (show = reveal) => {
    try {
      const [t, cfg] = await Promise.all([
        api.text('/v0/management/config.yaml'),
        api.get<unknown>('/v0/management/config'),
      ]);
      const found = collectSecrets(cfg);
      const shown = show ? t : maskYaml(t, found);
      setSecrets(found);
      setReal(t);
      setText(shown);
      setSaved(shown);
      setProblems([]);
      setLoadError(undefined);
    } catch (err) {
      setLoadError(asApiError(err));
    }
  };
  const toggleReveal = () => {
    if (real === undefined) return;
    const next = !reveal;
    setReveal(next);
    const shown = next ? real : maskYaml(real, secrets);
    setText(shown);
    setSaved(shown);
  };
  useEffect(() => {
    void load();
    // load once per sign-in, and again after a form changed the file
  }, [api, revision]);

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
        listed below with its line and setting, and the file on disk stays as it was. Secrets are
        masked (<span class="mono">sk-…1234</span>) until you show them; saving with a masked value
        keeps the stored secret.
      </p>
      <div class="button-row">
        <button
          type="button"
          aria-pressed={reveal}
          disabled={text !== saved}
          title={text !== saved ? 'Save or reload your changes first' : undefined}
          onClick={toggleReveal}
          data-testid="reveal-secrets"
        >
          {reveal ? 'Hide secrets' : 'Show secrets'}
        </button>
        {text !== saved && <span class="muted small">Save or reload before showing secrets.</span>}
      </div>
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
              void load(reveal);
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

/** Client keys, forms for the common edits, and the config.yaml editor. */
export function Settings() {
  // A saved config.yaml or form may change what the others show: they reload after every save.
  const [revision, setRevision] = useState(0);
  const onSaved = useCallback(() => setRevision((r) => r + 1), []);
  return (
    <>
      <Section id="client-keys" title="Client keys">
        <ClientKeys revision={revision} onSaved={onSaved} />
      </Section>
      <Section id="upstream-keys" title="Upstream API key">
        <UpstreamKeyForm revision={revision} onSaved={onSaved} />
      </Section>
      <Section id="compat" title="OpenAI-compatible provider">
        <CompatForm revision={revision} onSaved={onSaved} />
      </Section>
      <Section id="config-yaml" title="config.yaml">
        <ConfigEditor revision={revision} onSaved={onSaved} />
      </Section>
    </>
  );
}
