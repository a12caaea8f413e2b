/** Tests a model name against a set of exclusion patterns. */
export type ModelMatcher = (model: string) => boolean;

const NEVER: ModelMatcher = () => false;

/**
 * One pattern as a matcher: `*` matches any run of characters (`gpt-*`, `*-preview`,
 * `*flash*`, or several stars), no star means an exact name. Case-insensitive.
 */
function compileOne(pattern: string): ModelMatcher {
  const p = pattern.trim().toLowerCase();
  if (!p.includes('*')) return (m) => m === p;
  const parts = p.split('*');
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter(Boolean);
  const minLength = head.length + tail.length;
  return (m) => {
    if (m.length < minLength || !m.startsWith(head) || !m.endsWith(tail)) return false;
    // Middle pieces must appear in order between the head and the tail.
    let pos = head.length;
    const end = m.length - tail.length;
    for (const piece of middle) {
      const at = m.indexOf(piece, pos);
      if (at < 0 || at + piece.length > end) return false;
      pos = at + piece.length;
    }
    return true;
  };
}

/**
 * Compile exclusion patterns once (at registry build time) into one case-insensitive matcher.
 * Exact names go into a set; wildcard patterns are checked in order.
 */
export function compileModelPatterns(patterns: readonly string[]): ModelMatcher {
  const exact = new Set<string>();
  const wild: ModelMatcher[] = [];
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    if (p.includes('*')) wild.push(compileOne(p));
    else exact.add(p);
  }
  if (exact.size === 0 && wild.length === 0) return NEVER;
  return (model) => {
    const m = model.toLowerCase();
    if (exact.has(m)) return true;
    for (const w of wild) if (w(m)) return true;
    return false;
  };
}

/** True when `model` matches `pattern` (see compileModelPatterns). */
export function matchesModelPattern(pattern: string, model: string): boolean {
  return compileOne(pattern)(model.toLowerCase());
}
