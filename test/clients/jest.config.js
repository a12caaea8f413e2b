// `npm run test:clients` (scripts/test-clients.mjs): the real coding CLIs against a built gateway
// and the fakes (docs/testing.md, "Real clients"). Kept out of `npm test`: it needs the CLIs,
// which scripts/test-clients.mjs installs into a cache and names in SB_CLIENTS. It reuses the e2e
// project's transform and aliases and the same global Redis setup.
const root = require('../../jest.config.js');

const e2e = root.projects.find((p) => p.displayName === 'e2e');
if (!e2e) throw new Error('jest.config.js has no e2e project to base the clients project on');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: e2e.rootDir,
  globalSetup: root.globalSetup,
  globalTeardown: root.globalTeardown,
  testTimeout: 180000,
  // One CLI at a time: each is a real program with its own start-up cost on a shared machine.
  maxWorkers: 1,
  projects: [
    {
      ...e2e,
      displayName: 'clients',
      testMatch: ['<rootDir>/test/clients/**/*.client-spec.ts'],
    },
  ],
};
