// Three tiers (see docs/testing.md): unit specs beside the code, integration specs against a real
// Redis, end-to-end specs that boot the apps on loopback ports. One Redis for the whole run comes
// from test/setup/global-setup.js.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = {
  '^@app/(config|storage|metrics|jobs|providers|llm|common|upstream|routing|proxy|usage|management|cluster|logs|oauth|quota)$':
    '<rootDir>/libs/$1/src',
  '^@app/(config|storage|metrics|jobs|providers|llm|common|upstream|routing|proxy|usage|management|cluster|logs|oauth|quota)/(.*)$':
    '<rootDir>/libs/$1/src/$2',
  '^@app/(gateway|worker)/(.*)$': '<rootDir>/apps/$1/src/$2',
  '^@test/(.*)$': '<rootDir>/test/$1',
  // The panel's pure modules, for specs that check the gateway and the panel agree.
  '^@web/(.*)$': '<rootDir>/web/src/$1',
};

const base = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  // A passing run prints nothing but jest's own output (docs/testing.md).
  setupFilesAfterEnv: ['<rootDir>/test/setup/quiet-nest.ts', '<rootDir>/test/setup/no-console.ts'],
  // Jest 30 "soft-deletes" what a spec file left on the global scope and prints a deprecation
  // warning when a late timer touches it (a fake-timer Date after its file ended, now and then).
  // Jest 29's behaviour: keep them; each file runs in its own context anyway.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  testTimeout: 30000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts,web}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts', '<rootDir>/libs/**/*.int-spec.ts'],
    },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
