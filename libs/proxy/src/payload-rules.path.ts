// JSON paths as CLIProxyAPI's payload rules write them (gjson/sjson syntax, the plain subset):
// dot-separated keys, `\` escapes the next character (`a\.b` is one key "a.b"), a number steps
// into an array, `-1` as the last step of a set appends. Wildcards and queries are not supported
// (sjson, which applies the rules there, does not support them either).

/** A parsed path: the keys and indexes from the root. */
export type JsonPath = readonly string[];

type Container = Record<string, unknown> | unknown[];

const INDEX = /^(0|[1-9]\d*)$/;

/** Parse `a.b.0.c` (with `\` escapes); undefined for an empty path or an empty step. */
export function parseJsonPath(path: string): JsonPath | undefined {
  const text = path.trim();
  if (!text) return undefined;
  const steps: string[] = [];
  let step = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      step += text[++i];
    } else if (ch === '.') {
      steps.push(step);
      step = '';
    } else {
      step += ch;
    }
  }
  steps.push(step);
  return steps.some((s) => s === '') ? undefined : steps;
}

/** The path under a root path (`request` for the Code Assist envelopes). */
export function underRoot(root: JsonPath, path: JsonPath): JsonPath {
  return root.length === 0 ? path : [...root, ...path];
}

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

function indexOf(step: string): number | undefined {
  return INDEX.test(step) ? Number(step) : undefined;
}

function child(node: Container, step: string): unknown {
  if (Array.isArray(node)) {
    const i = indexOf(step);
    return i === undefined ? undefined : node[i];
  }
  return Object.prototype.hasOwnProperty.call(node, step) ? node[step] : undefined;
}

/** True when the path names an existing value (null counts as existing, as in gjson). */
export function hasJsonPath(root: unknown, path: JsonPath): boolean {
  let node: unknown = root;
  for (const step of path) {
    if (!isContainer(node)) return false;
    if (Array.isArray(node)) {
      const i = indexOf(step);
      if (i === undefined || i >= node.length) return false;
      node = node[i];
    } else {
      if (!Object.prototype.hasOwnProperty.call(node, step)) return false;
      node = node[step];
    }
  }
  return true;
}

/** A shallow copy of a container (the only copies a write makes: the containers on its path). */
function copyOf(node: Container): Container {
  return Array.isArray(node) ? node.slice() : { ...node };
}

/** A new empty container for a missing step: an array when the next step is an index. */
function emptyFor(next: string): Container {
  return next === '-1' || indexOf(next) !== undefined ? [] : {};
}

/** Write `value` into a copied container at `step`; false when the step cannot apply. */
function put(node: Container, step: string, value: unknown): boolean {
  if (!Array.isArray(node)) {
    node[step] = value;
    return true;
  }
  if (step === '-1') {
    node.push(value);
    return true;
  }
  const i = indexOf(step);
  if (i === undefined) return false;
  while (node.length < i) node.push(null);
  node[i] = value;
  return true;
}

/**
 * Set the value at `path`, creating missing objects and arrays on the way (sjson semantics: a
 * number after a missing key makes an array; a scalar in the way is replaced). Copy-on-write:
 * `root` is never changed; the result shares every untouched branch with it. Returns `root`
 * itself when the path cannot apply (a key inside an array).
 */
export function setJsonPath<T extends Container>(root: T, path: JsonPath, value: unknown): T {
  const top = copyOf(root);
  let node: Container = top;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i];
    const existing = step === '-1' ? undefined : child(node, step);
    const next = isContainer(existing) ? copyOf(existing) : emptyFor(path[i + 1]);
    if (!put(node, step, next)) return root;
    node = next;
  }
  return put(node, path[path.length - 1], value) ? (top as T) : root;
}

/** Remove the value at `path` (array elements are spliced out). Copy-on-write like setJsonPath. */
export function deleteJsonPath<T extends Container>(root: T, path: JsonPath): T {
  if (!hasJsonPath(root, path)) return root;
  const top = copyOf(root);
  let node: Container = top;
  for (let i = 0; i < path.length - 1; i++) {
    const next = copyOf(child(node, path[i]) as Container);
    put(node, path[i], next);
    node = next;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return top as T;
}
