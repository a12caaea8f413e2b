import type { CredentialProvider } from '@app/routing/credential.types';
import catalogData from './model-catalog.json';

/** One built-in model: what `/v1/models` shows for it. */
export interface CatalogModel {
  readonly id: string;
  readonly display_name: string;
  readonly owned_by: string;
  /** Unix seconds (approximate public release date). */
  readonly created: number;
}

/** The catalogs kept in model-catalog.json. */
export type CatalogName = keyof typeof catalogData;

const CATALOGS: Readonly<Record<CatalogName, readonly CatalogModel[]>> = deepFreeze(catalogData);

/**
 * Which catalog a credential serves when config gives it no `models`. Gemini API keys, Vertex
 * (key or service account) share the Gemini API list; openai-compatibility entries serve only
 * their configured models.
 */
const CATALOG_OF: Readonly<Record<CredentialProvider, CatalogName | undefined>> = {
  gemini: 'gemini',
  vertex: 'gemini',
  aistudio: 'aistudio',
  'gemini-cli': 'gemini-cli',
  antigravity: 'antigravity',
  claude: 'claude',
  codex: 'codex',
  qwen: 'qwen',
  iflow: 'iflow',
  kimi: 'kimi',
  'openai-compatibility': undefined,
};

const BY_ID = new Map<string, CatalogModel>();
const BY_CATALOG = new Map<CatalogName, ReadonlyMap<string, CatalogModel>>();
for (const [name, list] of Object.entries(CATALOGS) as [CatalogName, readonly CatalogModel[]][]) {
  BY_CATALOG.set(name, new Map(list.map((m) => [m.id, m])));
  for (const m of list) if (!BY_ID.has(m.id)) BY_ID.set(m.id, m);
}

/** The built-in models of a provider (empty for openai-compatibility). */
export function catalogFor(provider: CredentialProvider): readonly CatalogModel[] {
  const name = CATALOG_OF[provider];
  return name ? CATALOGS[name] : [];
}

/** A built-in catalog by name. */
export function catalog(name: CatalogName): readonly CatalogModel[] {
  return CATALOGS[name];
}

/**
 * Catalog metadata for a model id: from the provider's own catalog when given (the same id can
 * be listed by several providers with different owners), else from any catalog listing it.
 */
export function catalogModel(id: string, provider?: CredentialProvider): CatalogModel | undefined {
  const name = provider && CATALOG_OF[provider];
  return (name && BY_CATALOG.get(name)?.get(id)) || BY_ID.get(id);
}

/** The default `owned_by` for models a provider serves that no catalog knows. */
export function defaultOwner(provider: CredentialProvider, compatName?: string): string {
  switch (provider) {
    case 'gemini':
    case 'vertex':
    case 'aistudio':
    case 'gemini-cli':
      return 'google';
    case 'claude':
      return 'anthropic';
    case 'codex':
      return 'openai';
    case 'qwen':
      return 'qwen';
    case 'iflow':
      return 'iflow';
    case 'kimi':
      return 'moonshot';
    case 'antigravity':
      return 'antigravity';
    case 'openai-compatibility':
      return compatName ?? 'openai-compatibility';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
