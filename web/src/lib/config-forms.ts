// The common config.yaml edits as forms: an upstream API-key entry and an OpenAI-compatible
// provider. Each form reads into the entry config.yaml holds, or into problems that name the
// setting (`claude-api-key[2].base-url: …`), as the gateway's own validation does.

/** A key-list section a form edits (`claude-api-key`…; the gateway's registry lists them). */
export type KeySection = string;

/** A `{name, alias}` model of an entry. */
export interface ModelAlias {
  name: string;
  alias?: string;
}

/** `name` or `name = alias`, one per line. */
export function parseModels(text: string): ModelAlias[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, alias] = l.split('=').map((p) => p.trim());
      return alias ? { name: name ?? '', alias } : { name: name ?? '' };
    });
}

/** The lines of `parseModels` back. */
export function modelsText(models: readonly ModelAlias[] | undefined): string {
  return (models ?? []).map((m) => (m.alias ? `${m.name} = ${m.alias}` : m.name)).join('\n');
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What the upstream-key form holds. */
export interface UpstreamKeyForm {
  apiKey: string;
  baseUrl: string;
  prefix: string;
  proxyUrl: string;
  priority: string;
  models: string;
}

export type Problems<F> = Partial<Record<keyof F, string>>;

/** The entry of an upstream-key form, or the problems naming each setting. */
export function upstreamKeyEntry(
  section: KeySection,
  index: number,
  f: UpstreamKeyForm,
  base: Record<string, unknown> = {},
):
  | { ok: true; entry: Record<string, unknown> }
  | { ok: false; problems: Problems<UpstreamKeyForm> } {
  const at = `${section}[${index}]`;
  const problems: Problems<UpstreamKeyForm> = {};
  const apiKey = f.apiKey.trim();
  if (!apiKey) problems.apiKey = `${at}.api-key: must not be empty`;
  else if (/\s/.test(apiKey)) problems.apiKey = `${at}.api-key: must not contain spaces`;
  if (f.baseUrl.trim() && !isHttpUrl(f.baseUrl.trim())) {
    problems.baseUrl = `${at}.base-url: must be an http(s) URL`;
  }
  if (f.proxyUrl.trim() && !/^(https?|socks5h?):\/\/|^(direct|none)$/i.test(f.proxyUrl.trim())) {
    problems.proxyUrl = `${at}.proxy-url: expected http://, https://, socks5:// or direct`;
  }
  if (f.priority.trim() && !/^-?\d+$/.test(f.priority.trim())) {
    problems.priority = `${at}.priority: must be a whole number`;
  }
  const models = parseModels(f.models);
  const bad = models.findIndex((m) => !m.name);
  if (bad >= 0) problems.models = `${at}.models[${bad}].name: must not be empty`;
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const entry: Record<string, unknown> = { ...base, 'api-key': apiKey };
  const set = (k: string, v: unknown, keep: boolean) => {
    if (keep) entry[k] = v;
    else delete entry[k];
  };
  set('base-url', f.baseUrl.trim(), !!f.baseUrl.trim());
  set('prefix', f.prefix.trim(), !!f.prefix.trim());
  set('proxy-url', f.proxyUrl.trim(), !!f.proxyUrl.trim());
  set('priority', Number(f.priority.trim()), !!f.priority.trim());
  set('models', models, models.length > 0);
  return { ok: true, entry };
}

/** What the OpenAI-compatible provider form holds. */
export interface CompatForm {
  name: string;
  baseUrl: string;
  /** One key per line. */
  apiKeys: string;
  prefix: string;
  models: string;
}

/** The entry of a provider form, or the problems naming each setting. */
export function compatEntry(
  index: number,
  f: CompatForm,
  others: readonly string[],
  base: Record<string, unknown> = {},
): { ok: true; entry: Record<string, unknown> } | { ok: false; problems: Problems<CompatForm> } {
  const at = `openai-compatibility[${index}]`;
  const problems: Problems<CompatForm> = {};
  const name = f.name.trim();
  if (!name) problems.name = `${at}.name: must not be empty`;
  else if (others.some((o) => o.toLowerCase() === name.toLowerCase())) {
    problems.name = `${at}.name: another provider is already called ${name}`;
  }
  if (!isHttpUrl(f.baseUrl.trim())) problems.baseUrl = `${at}.base-url: must be an http(s) URL`;
  const keys = f.apiKeys
    .split('\n')
    .map((k) => k.trim())
    .filter(Boolean);
  const spaced = keys.findIndex((k) => /\s/.test(k));
  if (spaced >= 0) {
    problems.apiKeys = `${at}.api-key-entries[${spaced}].api-key: must not contain spaces`;
  }
  const models = parseModels(f.models);
  if (models.length === 0) problems.models = `${at}.models: list at least one model`;
  const bad = models.findIndex((m) => !m.name);
  if (bad >= 0) problems.models = `${at}.models[${bad}].name: must not be empty`;
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const prior = Array.isArray(base['api-key-entries'])
    ? (base['api-key-entries'] as Record<string, unknown>[])
    : [];
  const entry: Record<string, unknown> = {
    ...base,
    name,
    'base-url': f.baseUrl.trim(),
    // An entry that stays keeps its other fields (its proxy-url).
    'api-key-entries': keys.map((k) => ({
      ...prior.find((e) => e['api-key'] === k),
      'api-key': k,
    })),
    models,
  };
  if (f.prefix.trim()) entry.prefix = f.prefix.trim();
  else delete entry.prefix;
  return { ok: true, entry };
}
