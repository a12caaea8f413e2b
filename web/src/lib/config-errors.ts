/** One problem with a config.yaml text, placed on its line when known. */
export interface ConfigProblem {
  /** 1-based line, when the server named one or the key could be found. */
  line?: number;
  column?: number;
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// "line 3, column 5", "at line 3", "line 3:", "(3:5)", "config.yaml:3:5"
const LINE_COL = /\bline[\s:]+(\d+)(?:\s*,?\s*col(?:umn)?[\s:]+(\d+))?/i;
const PAIR = /(?:^|[\s(:])(\d+):(\d+)(?=[\s):]|$)/;
// A schema path at the start of a message: "remote-management.secret-key: …", "api-keys[2]: …"
const PATH_PREFIX = /^([A-Za-z0-9_-]+(?:(?:\.[A-Za-z0-9_-]+)|(?:\[\d+\]))*)\s*:\s/;

/** A mapping key at the start of a line (quoted or not). */
const KEY = /^(["']?)([^"':#]+?)\1\s*:(?:\s|$)/;

/**
 * The 1-based line of a key path (`['a', 'b']`, `['list', 2, 'c']`) in a YAML text, found by
 * indentation; undefined when the path cannot be followed (flow style, anchors, missing keys).
 */
export function lineOfPath(text: string, path: readonly (string | number)[]): number | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  // The node being searched: its first line, and the column at or left of which its block ends.
  let start = 0;
  let blockIndent = -1;
  // The first line is a list item whose first key follows its dash.
  let inlineFirst = false;
  let found = -1;
  for (const part of path) {
    found = -1;
    let foundCol = 0;
    let col: number | undefined;
    let count = 0;
    for (let i = start; i < lines.length; i++) {
      const raw = lines[i] ?? '';
      const content = raw.trimStart();
      if (!content || content.startsWith('#')) continue;
      let indent = raw.length - content.length;
      let body = content;
      if (inlineFirst && i === start) {
        const after = content.slice(1).trimStart();
        indent += content.length - after.length;
        body = after;
      } else {
        // YAML lets a list sit at its key's own indent: `key:` then `- item`.
        const listAtKey = typeof part === 'number' && content.startsWith('-');
        if (indent < blockIndent || (indent === blockIndent && !listAtKey)) break;
      }
      col ??= indent;
      if (indent !== col) continue;
      if (typeof part === 'number') {
        if (!body.startsWith('-')) continue;
        if (count++ === part) {
          found = i;
          foundCol = indent;
          break;
        }
      } else if (KEY.exec(body)?.[2]?.trim() === part) {
        found = i;
        foundCol = indent;
        break;
      }
    }
    if (found < 0) return undefined;
    inlineFirst = typeof part === 'number';
    start = inlineFirst ? found : found + 1;
    blockIndent = foundCol;
  }
  return found < 0 ? undefined : found + 1;
}

function parsePath(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
  }
  return out;
}

function fromMessage(message: string, text: string): ConfigProblem {
  const lc = LINE_COL.exec(message) ?? PAIR.exec(message);
  if (lc) {
    const p: ConfigProblem = { line: Number(lc[1]), message };
    if (lc[2]) p.column = Number(lc[2]);
    return p;
  }
  const path = PATH_PREFIX.exec(message);
  if (path?.[1]) {
    const line = lineOfPath(text, parsePath(path[1]));
    if (line !== undefined) return { line, message };
  }
  return { message };
}

/**
 * The problems in a `PUT config.yaml` rejection, each on its line: structured `errors`/`issues`
 * arrays when the server sends them, otherwise the message split into lines, with line numbers
 * read from the text or found from the key path the message starts with.
 */
export function configProblems(body: unknown, text: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (isRecord(body)) {
    const list = body.errors ?? body.issues ?? body.details;
    if (Array.isArray(list)) {
      for (const item of list) {
        if (typeof item === 'string') {
          out.push(fromMessage(item, text));
        } else if (isRecord(item)) {
          const raw = typeof item.message === 'string' ? item.message : JSON.stringify(item);
          // Name the setting: "request-retry: expected number", not just "expected number".
          const path = typeof item.path === 'string' ? item.path : '';
          const message = path && !raw.startsWith(path) ? `${path}: ${raw}` : raw;
          const p = fromMessage(message, text);
          if (typeof item.line === 'number') p.line = item.line;
          if (typeof item.column === 'number') p.column = item.column;
          if (p.line === undefined && typeof item.path === 'string') {
            const line = lineOfPath(text, parsePath(item.path));
            if (line !== undefined) p.line = line;
          }
          out.push(p);
        }
      }
      if (out.length > 0) return out;
    }
    // `{"error":"invalid_config","message":"…"}`: the message holds the details.
    const msg =
      typeof body.message === 'string' && body.message
        ? body.message
        : typeof body.error === 'string'
          ? body.error
          : '';
    if (msg) {
      for (const part of msg.split(/\n|;\s+/)) {
        const t = part.trim();
        if (t) out.push(fromMessage(t, text));
      }
      return out;
    }
  }
  if (typeof body === 'string' && body.trim()) return [fromMessage(body.trim(), text)];
  return [{ message: 'The gateway rejected the file without saying why' }];
}
