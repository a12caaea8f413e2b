// `npm run test:cluster`: the Redis-facing specs against a Redis Cluster (docs/testing.md,
// "Redis Cluster"). The global setup starts three primaries joined with `redis-cli --cluster
// create` and sets REDIS_CLUSTER_NODES, which test/utils/env.ts and every app it starts honour.
// The integration specs that talk to Redis, and an e2e smoke: proxy, usage, limits, cooldowns,
// round-robin across replicas, BullMQ refresh and quota jobs, cluster API, logs, the WebSocket
// relay and pub/sub.
process.env.SB_TEST_REDIS = 'cluster';
const root = require('../../jest.config.js');

const project = (name) => {
  const p = root.projects.find((x) => x.displayName === name);
  if (!p) throw new Error(`jest.config.js has no ${name} project`);
  return p;
};

const E2E_SMOKE = [
  'proxy-replicas',
  'proxy-failover',
  'proxy-streaming',
  'usage-stats',
  'limits',
  'worker-oauth',
  'cluster-api',
  'error-logs',
  'processes',
  'ws-relay',
  'pubsub-channels',
];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: root.projects[0].rootDir,
  globalSetup: root.globalSetup,
  globalTeardown: root.globalTeardown,
  testTimeout: root.testTimeout,
  projects: [
    {
      ...project('integration'),
      displayName: 'integration (cluster)',
      // Every integration spec but those that never touch the run's Redis (the TLS one starts
      // a server of its own).
      testPathIgnorePatterns: [
        '/config-crash\\.int-spec\\.ts$',
        '/fakes\\.int-spec\\.ts$',
        '/redis-tls\\.int-spec\\.ts$',
      ],
    },
    {
      ...project('e2e'),
      displayName: 'e2e (cluster)',
      testMatch: E2E_SMOKE.map((name) => `<rootDir>/test/e2e/${name}.e2e-spec.ts`),
    },
  ],
};
