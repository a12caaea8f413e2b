// `npm run test:faults`: the fault-injection suite (docs/testing.md, "Faults"). Kept out of the
// default projects so `npm test` stays quick; CI runs it as its own step. It reuses the e2e
// project's transform and aliases, and the same global Redis setup.
const root = require('../../jest.config.js');

const e2e = root.projects.find((p) => p.displayName === 'e2e');
if (!e2e) throw new Error('jest.config.js has no e2e project to base the faults project on');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: e2e.rootDir,
  globalSetup: root.globalSetup,
  globalTeardown: root.globalTeardown,
  testTimeout: 120000,
  // One spec at a time: they load the machine on purpose and measure latency and memory.
  maxWorkers: 1,
  projects: [
    {
      ...e2e,
      displayName: 'faults',
      // The fault specs print their measurements on purpose; Nest's own lines stay quiet.
      setupFilesAfterEnv: ['<rootDir>/test/setup/quiet-nest.ts'],
      // *.fault-spec.ts (this suite) and *.fuzz-spec.ts (the bad-input fuzz suite).
      testMatch: ['<rootDir>/test/faults/**/*.{fault,fuzz}-spec.ts'],
    },
  ],
};
