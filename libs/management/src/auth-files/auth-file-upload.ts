import { parseAuthFile } from '@app/routing';
import { checkAuthFileName } from '@app/management/auth-files/auth-file-name';

/** Limits for multipart uploads (auth files are a few KB; a service-account key about 2.5 KB). */
export const UPLOAD_LIMITS = {
  /** Largest single file. */
  fileSize: 1024 * 1024,
  /** Most files in one request. */
  files: 100,
  /** Most non-file fields. */
  fields: 20,
  /** Largest non-file field. */
  fieldSize: 64 * 1024,
  /** Most parts of any kind. */
  parts: 150,
} as const;

/** One uploaded file: its client-given name and bytes as text. */
export interface UploadedFile {
  name: string;
  text: string;
}

/** An upload that passed validation: the file name to write and the exact text. */
export type CheckedUpload =
  | { ok: true; name: string; text: string; provider: string }
  | { ok: false; name: string; error: string };

/**
 * Validate one uploaded auth file before anything is written: a safe `.json` name and JSON of a
 * known CLIProxyAPI type that the credential parser accepts (the JSON is parsed once).
 */
export function checkUpload(file: UploadedFile): CheckedUpload {
  const checked = checkAuthFileName(file.name);
  if (!checked.ok) {
    const shown = typeof file.name === 'string' && file.name.length <= 255 ? file.name : '';
    return { ok: false, name: shown, error: checked.error };
  }
  if (!file.text.trim()) return { ok: false, name: checked.name, error: 'file is empty' };
  try {
    const credential = parseAuthFile(checked.name, file.text);
    return { ok: true, name: checked.name, text: file.text, provider: credential.provider };
  } catch (err) {
    return { ok: false, name: checked.name, error: `invalid auth file: ${(err as Error).message}` };
  }
}

/**
 * The text of a raw (non-multipart) upload: a JSON body arrives parsed (it is written back
 * pretty-printed), a text body as it was sent. Undefined when there is nothing to write.
 */
export function rawUploadText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() ? body : undefined;
  if (typeof body === 'object' && body !== null) return `${JSON.stringify(body, null, 2)}\n`;
  return undefined;
}

/** What a DELETE asks for. */
export type DeleteTargets = { all: true } | { all: false; names: string[] } | { error: string };

const ALL_VALUES: ReadonlySet<string> = new Set(['true', '1', '*']);

function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function unique(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of names) {
    const n = raw.trim();
    if (n && !seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  }
  return out;
}

/**
 * The files a `DELETE /auth-files` names, CLIProxyAPI's way: `?all=true|1|*`; else every
 * `?name=` (repeatable); else the JSON body: `["a.json", …]` or `{"name": …, "names": […]}`.
 * Names are validated one by one later, so one bad name does not hide the others' results.
 */
export function deleteTargets(query: unknown, body: unknown): DeleteTargets {
  const q = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const all = firstString(q.all);
  if (all !== undefined && ALL_VALUES.has(all.trim().toLowerCase())) return { all: true };
  const fromQuery = q.name;
  if (typeof fromQuery === 'string' || Array.isArray(fromQuery)) {
    const list = (Array.isArray(fromQuery) ? fromQuery : [fromQuery]).filter(
      (n): n is string => typeof n === 'string',
    );
    const names = unique(list);
    if (names.length) return { all: false, names };
  }
  if (body === undefined || body === null || body === '') return { all: false, names: [] };
  if (Array.isArray(body)) {
    if (!body.every((n) => typeof n === 'string')) return { error: 'invalid request body' };
    return { all: false, names: unique(body) };
  }
  if (typeof body !== 'object') return { error: 'invalid request body' };
  const o = body as Record<string, unknown>;
  const names: string[] = [];
  if (o.name !== undefined) {
    if (typeof o.name !== 'string') return { error: 'invalid request body: name must be a string' };
    names.push(o.name);
  }
  if (o.names !== undefined) {
    if (!Array.isArray(o.names) || !o.names.every((n) => typeof n === 'string'))
      return { error: 'invalid request body: names must be a list of strings' };
    names.push(...o.names);
  }
  return { all: false, names: unique(names) };
}
