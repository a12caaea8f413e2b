import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The lib graph as the code has it, checked against libs/layers.json (the same file the eslint
// rules are built from). Lint sees static imports file by file; this spec also sees dynamic
// imports, `require`, `jest.mock` and re-exports, and names the cycle when one appears.

interface Layers {
  layers: string[][];
  only: Record<string, string[]>;
}

const ROOT = resolve(__dirname, '..');
const LAYERS = JSON.parse(readFileSync(join(__dirname, 'layers.json'), 'utf8')) as Layers;
const LIB_DIRS = readdirSync(__dirname, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Every module specifier a TypeScript source names (import, export … from, import(), require). */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+'([^']+)'/g,
    /\bimport\s+'([^']+)'/g,
    /\bimport\(\s*'([^']+)'\s*\)/g,
    /\brequire\(\s*'([^']+)'\s*\)/g,
    /\bjest\.(?:mock|requireActual)\(\s*'([^']+)'/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]);
  return found;
}

/** The first cycle in a directed graph, as a path that starts and ends on the same node. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

/** The lib a path under libs/ belongs to, or undefined outside libs/. */
function libOfPath(path: string): string | undefined {
  const parts = relative(__dirname, path).split(sep);
  return parts.length > 1 && !parts[0].startsWith('..') ? parts[0] : undefined;
}

interface Edge {
  file: string;
  spec: string;
  from: string | undefined;
  to: string;
  deep: boolean;
}

/** Every reference from a file into a lib: `@app/<lib>[/...]` or a relative path into libs/. */
function edges(files: readonly string[]): Edge[] {
  const out: Edge[] = [];
  for (const file of files) {
    const from = libOfPath(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const alias = /^@app\/([^/]+)(\/.*)?$/.exec(spec);
      if (alias) {
        out.push({ file, spec, from, to: alias[1], deep: alias[2] !== undefined });
      } else if (spec.startsWith('.')) {
        const to = libOfPath(resolve(dirname(file), spec));
        if (to !== undefined && to !== from) out.push({ file, spec, from, to, deep: true });
      }
    }
  }
  return out;
}

const LIB_FILES = LIB_DIRS.flatMap((lib) => tsFiles(join(__dirname, lib)));
const OTHER_FILES = ['apps', 'test'].flatMap((dir) => tsFiles(join(ROOT, dir)));
const APPS = new Set(['gateway', 'worker']);
const layerOf = new Map(LAYERS.layers.flatMap((libs, i) => libs.map((lib) => [lib, i] as const)));
const rel = (file: string) => relative(ROOT, file);

describe('lib layers (libs/layers.json)', () => {
  it('should place every lib in exactly one layer', () => {
    const placed = LAYERS.layers.flat();
    expect([...placed].sort()).toEqual(LIB_DIRS);
    expect(new Set(placed).size).toBe(placed.length);
  });

  it('should give every lib a barrel', () => {
    for (const lib of LIB_DIRS)
      expect(tsFiles(join(__dirname, lib, 'src'))).toContain(
        join(__dirname, lib, 'src', 'index.ts'),
      );
  });

  it('should have every lib import only libs of lower layers (and llm only what it lists)', () => {
    const wrong = edges(LIB_FILES)
      .filter((e) => e.from !== undefined && e.to !== e.from)
      .filter((e) => {
        const from = e.from!;
        if (APPS.has(e.to)) return true;
        const only = LAYERS.only[from];
        if (only) return !only.includes(e.to);
        return !((layerOf.get(e.to) ?? Infinity) < layerOf.get(from)!);
      })
      .map((e) => `${rel(e.file)}: ${e.spec}`);
    expect(wrong).toEqual([]);
  });

  it('should keep the lib graph acyclic', () => {
    const graph = new Map<string, Set<string>>(LIB_DIRS.map((lib) => [lib, new Set()]));
    for (const e of edges(LIB_FILES)) {
      if (e.from !== undefined && e.to !== e.from && graph.has(e.to)) graph.get(e.from)!.add(e.to);
    }
    expect(findCycle(graph)).toBeUndefined();
  });

  it('should reach another lib only through its barrel, from libs, apps and tests', () => {
    const deep = edges([...LIB_FILES, ...OTHER_FILES])
      .filter((e) => e.deep && e.to !== e.from && !APPS.has(e.to))
      .map((e) => `${rel(e.file)}: ${e.spec}`);
    expect(deep).toEqual([]);
  });
});

describe(findCycle.name, () => {
  const graph = (pairs: Record<string, string[]>) =>
    new Map(Object.entries(pairs).map(([k, v]) => [k, new Set(v)]));

  it('should find no cycle in a layered graph', () => {
    expect(findCycle(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toBeUndefined();
  });

  it('should name the libs of a cycle in order', () => {
    expect(
      findCycle(graph({ proxy: ['usage'], usage: ['routing', 'proxy'], routing: [] })),
    ).toEqual(['proxy', 'usage', 'proxy']);
  });

  it('should find a cycle that does not include the first node', () => {
    expect(findCycle(graph({ a: ['b'], b: ['c'], c: ['b'] }))).toEqual(['b', 'c', 'b']);
  });
});

describe(specifiers.name, () => {
  it('should read static, type-only, dynamic, require and re-export specifiers', () => {
    const source = [
      "import { A } from '@app/usage';",
      "import type { B } from '@app/logs/exchange.types';",
      "export * from '@app/proxy/usage.types';",
      "const c = await import('@app/routing');",
      "const d = require('../../proxy/src/x');",
      "jest.mock('@app/storage');",
    ].join('\n');
    expect(specifiers(source).sort()).toEqual(
      [
        '../../proxy/src/x',
        '@app/logs/exchange.types',
        '@app/proxy/usage.types',
        '@app/routing',
        '@app/storage',
        '@app/usage',
      ].sort(),
    );
  });
});
