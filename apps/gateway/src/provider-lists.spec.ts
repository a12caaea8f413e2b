// Drift guard: no production file keeps its own list of providers. Every id list, union and
// per-provider table derives from the registry in libs/providers, so a new row reaches every lib
// without edits there; a hand-written list (a union, a switch, a map) would silently miss it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WIRE_FORMATS } from '@app/llm';
import { PROVIDER_DESCRIPTORS } from '@app/providers';

const ROOT = join(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['apps', 'libs', 'web/src', 'scripts'];
const SOURCE_FILE = /\.(ts|tsx|mjs|js)$/;
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.tsx?$/;

/**
 * Where providers are allowed to be named one by one: the registry with its descriptors, and
 * each OAuth provider's login module (which names its own row only).
 */
const OWNERS = ['libs/providers/src/', 'libs/oauth/src/login/providers/'];

/**
 * Registry ids that mean nothing else in the code: wire formats share names with some providers
 * (`claude`, `gemini-cli`…) and `openai-compatibility` is also a config.yaml section, so those
 * cannot tell a provider list from a format switch. Computed, so new rows are covered.
 */
const DISTINCT_IDS: readonly string[] = PROVIDER_DESCRIPTORS.map((d) => d.id as string).filter(
  (id) => !(WIRE_FORMATS as readonly string[]).includes(id) && id !== 'openai-compatibility',
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE_FILE.test(e.name) && !TEST_FILE.test(e.name) ? [path] : [];
  });
}

/** The distinct registry ids a file spells as string literals. */
function idsNamedIn(text: string): string[] {
  return DISTINCT_IDS.filter((id) => new RegExp(`['"\`]${id}['"\`]`).test(text));
}

describe('provider lists', () => {
  it('should have ids that only name providers, to look for', () => {
    expect(DISTINCT_IDS).toEqual(expect.arrayContaining(['vertex', 'qwen', 'iflow', 'kimi']));
  });

  it('should keep every list of providers in the registry', () => {
    const offenders = SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)))
      .map((path) => relative(ROOT, path))
      .filter((file) => !OWNERS.some((owner) => file.startsWith(owner)))
      .map((file) => ({ file, ids: idsNamedIn(readFileSync(join(ROOT, file), 'utf8')) }))
      .filter((hit) => hit.ids.length >= 2);
    expect(offenders).toEqual([]);
  });

  it('should notice a hand-written list', () => {
    expect(idsNamedIn(`type P = 'qwen' | 'kimi';`)).toEqual(['qwen', 'kimi']);
    expect(idsNamedIn(`if (p === 'qwen') return;`)).toEqual(['qwen']);
  });
});
