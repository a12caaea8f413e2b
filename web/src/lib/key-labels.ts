import type { ClientKey } from './types';

/** How a client key is named wherever it appears: its label, else its masked form or id. */
export function keyName(
  k: Pick<ClientKey, 'label' | 'masked' | 'key_id'> | undefined,
  fallback = '',
): string {
  if (!k) return fallback;
  return k.label || k.masked || k.key_id;
}

/** Key id → key, for looking labels up by the ids usage and the request log carry. */
export function keysById(list: readonly ClientKey[] | undefined): Map<string, ClientKey> {
  return new Map((list ?? []).map((k) => [k.key_id, k]));
}
