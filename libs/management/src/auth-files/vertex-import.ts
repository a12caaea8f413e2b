import { checkAuthFileName } from '@app/management/auth-files/auth-file-name';

/** Vertex region used when the import names none (CLIProxyAPI's default). */
export const DEFAULT_VERTEX_LOCATION = 'us-central1';

// Google Cloud region names: `us-central1`, `europe-west4`, `global`.
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;
const UNSAFE_FILE_CHARS = /[^A-Za-z0-9@+._-]+/g;
const DOTS = /\.{2,}/g;

type JsonObject = Record<string, unknown>;

/** The auth file a service-account key becomes. */
export interface VertexAuthFile {
  name: string;
  json: {
    type: 'vertex';
    service_account: JsonObject;
    project_id: string;
    email: string;
    location: string;
    label: string;
  };
}

/** The file to write, or what is wrong with the key. */
export type VertexImportResult = ({ ok: true } & VertexAuthFile) | { ok: false; error: string };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(sa: JsonObject, key: string): string | undefined {
  const v = sa[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** `vertex-<project>.json` with anything outside the safe file alphabet replaced by `-`. */
export function vertexFileName(projectId: string): string {
  const part = projectId.trim().replace(UNSAFE_FILE_CHARS, '-').replace(DOTS, '.');
  return `vertex-${part || 'vertex'}.json`;
}

/**
 * Turn a Google service-account JSON key into a CLIProxyAPI vertex auth file
 * (`vertex-<project_id>.json` with `service_account`, `project_id`, `email`, `location`).
 */
export function vertexAuthFile(serviceAccount: unknown, location?: string): VertexImportResult {
  if (!isObject(serviceAccount))
    return { ok: false, error: 'invalid service account: must be a JSON object' };
  const kind = field(serviceAccount, 'type');
  if (kind !== undefined && kind !== 'service_account') {
    return {
      ok: false,
      error: `invalid service account: type is "${kind}", expected "service_account"`,
    };
  }
  const projectId = field(serviceAccount, 'project_id');
  if (!projectId) return { ok: false, error: 'project_id missing' };
  const email = field(serviceAccount, 'client_email');
  if (!email) return { ok: false, error: 'invalid service account: client_email missing' };
  const key = field(serviceAccount, 'private_key');
  if (!key?.includes('PRIVATE KEY'))
    return { ok: false, error: 'invalid service account: private_key missing or not a PEM key' };
  const region = location?.trim() || DEFAULT_VERTEX_LOCATION;
  if (!LOCATION.test(region))
    return { ok: false, error: `invalid location "${region.slice(0, 64)}" (e.g. us-central1)` };
  const name = vertexFileName(projectId);
  const checked = checkAuthFileName(name);
  if (!checked.ok) return { ok: false, error: `cannot name the auth file: ${checked.error}` };
  return {
    ok: true,
    name: checked.name,
    json: {
      type: 'vertex',
      service_account: serviceAccount,
      project_id: projectId,
      email,
      location: region,
      label: `${projectId} (${email})`,
    },
  };
}
