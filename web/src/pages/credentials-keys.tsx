// The credentials page's other ways in: uploading an auth file, and the config.yaml API-key
// lists of each provider (masked, with their entry counts).
import { useMemo, useRef, useState } from 'preact/hooks';
import { useAction, usePanel, useResource } from '../components/hooks';
import { Loadable } from '../components/ui';
import { maskSecret } from '../lib/format';
import { keySections } from '../lib/providers';

export function UploadForm({ onUploaded }: { onUploaded: () => void }) {
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

/** An API-key entry of config.yaml as `/v0/management/config` lists it. */
interface KeyEntry {
  'api-key'?: string;
  'base-url'?: string;
  prefix?: string;
  name?: string;
  models?: { name: string; alias?: string }[];
  'api-key-entries'?: { 'api-key'?: string }[];
}

export function ConfigKeys() {
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
