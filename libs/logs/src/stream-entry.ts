/** The one field every shared-log stream entry carries: the entry as a JSON array. */
export const ENTRY_FIELD = 'j';

/**
 * The JSON array stored in a stream entry's fields (`['j', '[…]']`); an empty array when the
 * entry is missing or malformed, so readers never throw on a foreign entry.
 */
export function readEntry(fields: readonly string[]): unknown[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== ENTRY_FIELD) continue;
    try {
      const v: unknown = JSON.parse(fields[i + 1]);
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }
  return [];
}

/** A string element of an entry ('' otherwise). */
export const strAt = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A finite number element of an entry (0 otherwise). */
export const numAt = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
