// Type-aware lint for the whole monorepo; CI runs it with --max-warnings 0.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readFileSync } from 'node:fs';

// Which lib may import which (docs/architecture.md, "Layers"): a lib imports only libs of lower
// layers, through their barrel. libs/layers.spec.ts checks the same file against every import.
const { layers, only } = JSON.parse(readFileSync(new URL('./libs/layers.json', import.meta.url)));
const LIBS = layers.flat();
const layerOf = new Map(layers.flatMap((libs, i) => libs.map((lib) => [lib, i])));

/** Patterns every TypeScript file obeys: aliases, not deep relative paths or `libs/...`. */
const SHALLOW = [
  {
    group: ['../../*'],
    message: 'Use a path alias (@app/...) instead of a deep relative import.',
  },
  { group: ['@app/*/src/*', 'libs/*'], message: 'Import a lib through its public alias.' },
];

/** Another lib's files are reached through its barrel (`@app/<lib>`), never `@app/<lib>/<file>`. */
const barrelOnly = (except) =>
  LIBS.filter((lib) => lib !== except).map((lib) => ({
    group: [`@app/${lib}/*`],
    message: `Import @app/${lib} through its barrel ('@app/${lib}'), not a file inside it.`,
  }));

/** The layer rule for one lib: the libs it may not import at all. */
function forbiddenFor(lib) {
  const allowed = only[lib] ?? LIBS.filter((other) => layerOf.get(other) < layerOf.get(lib));
  const forbidden = LIBS.filter((other) => other !== lib && !allowed.includes(other));
  return [
    ...forbidden.map((other) => ({
      group: [`@app/${other}`, `@app/${other}/*`],
      message: `libs/${lib} may not import @app/${other}: dependencies run down the layers in libs/layers.json (docs/architecture.md).`,
    })),
    {
      group: ['@app/gateway/*', '@app/worker/*'],
      message: 'Libs never import the apps.',
    },
  ];
}

const libRules = LIBS.map((lib) => {
  const forbidden = forbiddenFor(lib);
  const layered = new Set(forbidden.flatMap((p) => p.group));
  const patterns = [
    ...SHALLOW,
    ...forbidden,
    ...barrelOnly(lib).filter((p) => !layered.has(p.group[0])),
    ...(lib === 'llm'
      ? [{ group: ['@nestjs/*'], message: 'libs/llm is framework-free: no @nestjs imports.' }]
      : []),
  ];
  return {
    files: [`libs/${lib}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'web/dist/**',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-restricted-imports': ['error', { patterns: [...SHALLOW, ...barrelOnly()] }],
    },
  },
  ...libRules,
  {
    // The web panel runs in the browser: its own tsconfig (DOM lib, Preact JSX, no node types)
    // supplies the browser globals, and no server code may be imported into it.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './web/tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/*', '@nestjs/*', 'node:*'], message: 'The panel is browser code.' },
            { group: ['../../*'], message: 'Keep web imports shallow.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
