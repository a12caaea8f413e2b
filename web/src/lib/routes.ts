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
