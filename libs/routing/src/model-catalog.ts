import { descriptorOf } from '@app/providers';
import type { CredentialProvider } from '@app/routing/credential.types';
import catalogData from './model-catalog.json';

/** One built-in model: what `/v1/models` shows for it. */
export interface CatalogModel {
  readonly id: string;
  readonly display_name: string;
  readonly owned_by: string;
  /** Unix seconds (approximate public release date). */
  readonly created: number;
  /** Context window in tokens, when known. */
  readonly context_length?: number;
}

/** The catalogs kept in model-catalog.json. */
export type CatalogName = keyof typeof catalogData;

/** Every catalog by name. */
export type Catalogs = Readonly<Record<CatalogName, readonly CatalogModel[]>>;

const BUILT_IN: Catalogs = deepFreeze(catalogData);
// Replaced as a whole when a remote catalog arrives (worker.model-catalog-url); the built-in
// one stays the fallback for names the remote one leaves out.
let CATALOGS: Catalogs = BUILT_IN;

/**
 * Which catalog a credential serves when config gives it no `models` (`models.catalog` of its
 * registry row); openai-compatibility entries serve only their configured models. Names newer
 * than a catalog are covered by the provider's native family (model-family.ts). A registry row
 * naming a catalog model-catalog.json lacks fails to type-check here.
 */
function catalogNameOf(provider: CredentialProvider): CatalogName | null {
  return descriptorOf(provider).models.catalog satisfies CatalogName | null;
}

let BY_ID = new Map<string, CatalogModel>();
let BY_CATALOG = new Map<CatalogName, ReadonlyMap<string, CatalogModel>>();
indexCatalogs();

function indexCatalogs(): void {
  const byId = new Map<string, CatalogModel>();
  const byCatalog = new Map<CatalogName, ReadonlyMap<string, CatalogModel>>();
  for (const [name, list] of Object.entries(CATALOGS) as [CatalogName, readonly CatalogModel[]][]) {
    byCatalog.set(name, new Map(list.map((m) => [m.id, m])));
    for (const m of list) if (!byId.has(m.id)) byId.set(m.id, m);
  }
  BY_ID = byId;
  BY_CATALOG = byCatalog;
}

/** The catalog names model-catalog.json defines. */
export const CATALOG_NAMES: readonly CatalogName[] = Object.keys(BUILT_IN) as CatalogName[];

function isCatalogName(name: string): name is CatalogName {
  return (CATALOG_NAMES as readonly string[]).includes(name);
}

function isCatalogModel(v: unknown): v is CatalogModel {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.id === 'string' &&
    m.id.trim() !== '' &&
    typeof m.display_name === 'string' &&
    typeof m.owned_by === 'string' &&
    typeof m.created === 'number' &&
    (m.context_length === undefined ||
      (Number.isInteger(m.context_length) && (m.context_length as number) > 0))
  );
}

/**
 * Validate a remote catalog (model-catalog.json's shape: catalog name → models). Unknown
 * names are refused so a typo cannot silently empty a provider; names left out keep the
 * built-in list. Returns the merged catalogs or the first problem found.
 */
export function parseCatalogs(data: unknown): { catalogs: Catalogs } | { error: string } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'catalog must be a JSON object of catalog name → list of models' };
  }
  const merged: Record<string, readonly CatalogModel[]> = { ...BUILT_IN };
  for (const [name, list] of Object.entries(data as Record<string, unknown>)) {
    if (!isCatalogName(name)) {
      return { error: `unknown catalog "${name}"; use one of ${CATALOG_NAMES.join(', ')}` };
    }
    if (!Array.isArray(list)) return { error: `catalog "${name}" must be a list` };
    const bad = list.findIndex((m) => !isCatalogModel(m));
    if (bad >= 0) {
      return {
        error: `catalog "${name}"[${bad}] needs id, display_name, owned_by and created (context_length, when given, a positive integer)`,
      };
    }
    merged[name] = list as CatalogModel[];
  }
  return { catalogs: deepFreeze(merged as Record<CatalogName, CatalogModel[]>) };
}

/** Serve these catalogs from now on (undefined = back to the built-in one). */
export function useCatalogs(catalogs: Catalogs | undefined): void {
  CATALOGS = catalogs ?? BUILT_IN;
  indexCatalogs();
}

/** The built-in models of a provider (empty for openai-compatibility). */
export function catalogFor(provider: CredentialProvider): readonly CatalogModel[] {
  const name = catalogNameOf(provider);
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
  const name = provider && catalogNameOf(provider);
  return (name && BY_CATALOG.get(name)?.get(id)) || BY_ID.get(id);
}

/** The default `owned_by` for models a provider serves that no catalog knows. */
export function defaultOwner(provider: CredentialProvider, compatName?: string): string {
  // Only openai-compatibility credentials carry an entry name; it owns their models.
  return compatName ?? descriptorOf(provider).models.owner;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
