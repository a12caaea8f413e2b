/** The panel's pages, in navigation order. */
export const PAGES = [
  { id: 'overview', title: 'Overview' },
  { id: 'credentials', title: 'Credentials' },
  { id: 'requests', title: 'Requests' },
  { id: 'cluster', title: 'Cluster' },
  { id: 'settings', title: 'Settings' },
] as const;

export type PageId = (typeof PAGES)[number]['id'];

/**
 * The page a location hash names (`#/requests`), or undefined for a hash that is not a page
 * route (`#main` from the skip link) so the current page stays.
 */
export function pageFromHash(hash: string): PageId | undefined {
  if (!hash.startsWith('#/')) return hash === '' || hash === '#' ? 'overview' : undefined;
  const id = hash.slice(2).split(/[/?]/)[0];
  return PAGES.find((p) => p.id === id)?.id ?? 'overview';
}

/** The filters a hash carries after its page (`#/credentials?status=cooling&q=a`). */
export function queryFromHash(hash: string): Record<string, string> {
  const i = hash.indexOf('?');
  if (i < 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(hash.slice(i + 1))) out[k] = v;
  return out;
}

/** The hash of a page with filters. */
export function pageHash(page: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  return `#/${page}${qs ? `?${qs}` : ''}`;
}
