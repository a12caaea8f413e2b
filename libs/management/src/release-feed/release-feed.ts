type JsonObject = Record<string, unknown>;

/** Fields that can name a release, in the order they are tried (GitHub's first). */
const VERSION_FIELDS = ['tag_name', 'name', 'version', 'latest-version', 'latestVersion'];
const LEADING_V = /^v(?=\d)/i;
const PARTS = /^(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The newest version a release feed announces: a GitHub "latest release" object (`tag_name`,
 * else `name`), a list of releases (the first that is not a draft), or a plain
 * `{"version": …}`/`{"latest-version": …}` document. Undefined when it names none.
 */
export function versionFromFeed(feed: unknown): string | undefined {
  const release: unknown = Array.isArray(feed)
    ? (feed as unknown[]).find((r) => isObject(r) && r.draft !== true)
    : feed;
  if (!isObject(release)) return undefined;
  for (const key of VERSION_FIELDS) {
    const v = release[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

/**
 * Compare two versions (`v6.9.2`, `1.2.0-rc.1`): numeric parts first, a pre-release sorts
 * before its release. Unparseable versions compare as plain strings. Negative when a < b.
 */
export function compareVersions(a: string, b: string): number {
  const pa = PARTS.exec(a.trim().replace(LEADING_V, ''));
  const pb = PARTS.exec(b.trim().replace(LEADING_V, ''));
  if (!pa || !pb) return a.localeCompare(b);
  const na = pa[1].split('.').map(Number);
  const nb = pb[1].split('.').map(Number);
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (na[i] ?? 0) - (nb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (pa[2] === pb[2]) return 0;
  if (pa[2] === undefined) return 1;
  if (pb[2] === undefined) return -1;
  return pa[2].localeCompare(pb[2], 'en', { numeric: true });
}

/** True when `latest` is newer than `current`. */
export function isNewer(latest: string, current: string): boolean {
  return compareVersions(latest, current) > 0;
}
