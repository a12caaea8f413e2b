import { dirname, resolve } from 'node:path';
import { validateAuthFileName } from '@app/routing';

/** Longest auth-file name, in bytes (the usual filesystem NAME_MAX). */
export const MAX_AUTH_FILE_NAME_BYTES = 255;

// C0 controls and DEL: never part of a file name we accept (NUL included).
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The verdict on a client-supplied auth-file name. */
export type AuthFileNameCheck = { ok: true; name: string } | { ok: false; error: string };

/**
 * Check a client-supplied auth-file name: a plain `.json` file name (letters, digits, `@+._-`),
 * no `..`, `/`, `\`, NUL or other control characters, at most 255 bytes. Surrounding spaces are
 * trimmed as CLIProxyAPI does. Never echoes an overlong or binary name back.
 */
export function checkAuthFileName(raw: unknown): AuthFileNameCheck {
  if (typeof raw !== 'string') return { ok: false, error: 'name is required' };
  const name = raw.trim();
  if (!name) return { ok: false, error: 'name is required' };
  if (Buffer.byteLength(name, 'utf8') > MAX_AUTH_FILE_NAME_BYTES) {
    return {
      ok: false,
      error: `invalid name: longer than ${MAX_AUTH_FILE_NAME_BYTES} bytes`,
    };
  }
  if (CONTROL_CHARS.test(name)) {
    return { ok: false, error: 'invalid name: contains a control character' };
  }
  try {
    validateAuthFileName(name);
  } catch (err) {
    return { ok: false, error: `invalid name: ${(err as Error).message}` };
  }
  return { ok: true, name };
}

/**
 * The absolute path of `name` inside `dir`. Throws unless the resolved path sits directly in
 * the resolved dir: a second line of defence behind `checkAuthFileName`.
 */
export function authFilePath(dir: string, name: string): string {
  const base = resolve(dir);
  const full = resolve(base, name);
  if (dirname(full) !== base || full === base) {
    throw new Error(`auth file name resolves outside the auth dir: ${JSON.stringify(name)}`);
  }
  return full;
}
