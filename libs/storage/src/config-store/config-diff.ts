import { maskKey } from '@app/common';

/** One line of a diff: kept (' '), only in the first text ('-'), only in the second ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** Texts longer than this many lines are compared as a whole (no line diff). */
const MAX_LINES = 5000;

/** The lines of `a` and `b` aligned by their longest common subsequence. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length > MAX_LINES || y.length > MAX_LINES) {
    return [
      ...x.map((text) => ({ op: '-' as const, text })),
      ...y.map((text) => ({ op: '+' as const, text })),
    ];
  }
  // lcs[i][j]: length of the LCS of x[i..] and y[j..].
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint16Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', text: x[i++] });
    } else {
      out.push({ op: '+', text: y[j++] });
    }
  }
  while (i < x.length) out.push({ op: '-', text: x[i++] });
  while (j < y.length) out.push({ op: '+', text: y[j++] });
  return out;
}

/**
 * The changed lines with `context` lines around them, as `@@`-separated hunks (unified-diff
 * style without line numbers). Empty when the texts are equal.
 */
export function formatDiff(lines: readonly DiffLine[], context = 2): string[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) {
      keep[k] = true;
    }
  });
  const out: string[] = [];
  let gap = true;
  lines.forEach((l, i) => {
    if (!keep[i]) {
      gap = true;
      return;
    }
    if (gap) out.push('@@');
    gap = false;
    out.push(`${l.op}${l.text}`);
  });
  return out;
}

// `key: value` where the key names a secret, and bare list items (api-keys entries).
const SECRET_KEY =
  /^(\s*(?:-\s+)?["']?[\w.-]*(?:key|secret|token|password|cookie)[\w.-]*["']?\s*:\s*)(\S.*)$/i;
const LIST_ITEM = /^(\s*-\s+)(["']?[^\s:#'"][^\s#]*["']?)\s*(#.*)?$/;

/** A config.yaml line with secret-looking values masked (for printing a diff). */
export function maskSecretLine(line: string): string {
  const m = SECRET_KEY.exec(line) ?? LIST_ITEM.exec(line);
  if (!m) return line;
  const raw = m[2].trim();
  const quote = raw[0] === '"' || raw[0] === "'" ? raw[0] : '';
  const value = quote ? raw.slice(1, raw.endsWith(quote) ? -1 : undefined) : raw;
  if (!value || value === '[]' || value === '{}' || value === '""') return line;
  return `${m[1]}${quote}${maskKey(value)}${quote}`;
}

/** Top-level fields whose values differ between two auth-file JSON texts (names only). */
export function changedFields(a: string, b: string): string[] {
  let x: Record<string, unknown>;
  let y: Record<string, unknown>;
  try {
    x = JSON.parse(a) as Record<string, unknown>;
    y = JSON.parse(b) as Record<string, unknown>;
  } catch {
    return ['(not valid JSON)'];
  }
  const names = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...names].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k])).sort();
}
