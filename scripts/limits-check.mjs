#!/usr/bin/env node
// node scripts/limits-check.mjs — the per-key limit acceptance over a real minute (not in CI;
// test/e2e/limits.e2e-spec.ts runs the same check with a shortened window).
//
// Starts its own redis-server, the fake upstream and N gateway replicas from dist/ sharing one
// config.yaml whose client key is limited to --rpm requests per minute, hammers them round-robin
// for --seconds with --clients concurrent clients, and checks that between rpm and rpm+3
// requests were admitted. Exit code 0 when they were.
//
// Options: --rpm 60, --replicas 3, --seconds 60, --clients 24. Needs `npm run build` first.
import {
  numberArg,
  requireBuild,
  startFake,
  startGateway,
  startRedis,
  stopAll,
  writeConfig,
} from './local-cluster.mjs';

const RPM = numberArg('rpm', 60, 1);
const REPLICAS = numberArg('replicas', 3, 1);
const SECONDS = numberArg('seconds', 60, 1);
const CLIENTS = numberArg('clients', 24, 1);
const KEY = 'sk-limits-check-client-0001';

async function main() {
  requireBuild();
  const redis = await startRedis();
  const fake = await startFake();
  const config = writeConfig(`
api-keys: ["${KEY}"]
redis:
  key-prefix: "lc:"
limits:
  "${KEY}":
    rpm: ${RPM}
openai-compatibility:
  - name: fake
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "limits-check-upstream"
    models:
      - name: limits-check-model
`);
  const gateways = [];
  for (let i = 1; i <= REPLICAS; i++) {
    gateways.push(await startGateway(`gateway-${i}`, config, redis.url));
  }
  console.log(
    `hammering ${REPLICAS} replicas with ${CLIENTS} clients for ${SECONDS} s at rpm ${RPM}…`,
  );

  const admittedBy = new Array(REPLICAS).fill(0);
  const statuses = new Map();
  const retryAfter = [];
  let next = 0;
  const t0 = Date.now();
  const end = t0 + SECONDS * 1000;
  const client = async () => {
    while (Date.now() < end) {
      const g = next++ % REPLICAS;
      let status = 0;
      try {
        const res = await fetch(`${gateways[g].url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          body: JSON.stringify({
            model: 'limits-check-model',
            messages: [{ role: 'user', content: 'count me' }],
          }),
        });
        await res.arrayBuffer();
        status = res.status;
        if (status === 200) admittedBy[g]++;
        if (status === 429) retryAfter.push(Number(res.headers.get('retry-after')));
      } catch {
        status = 0;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));

  const admitted = admittedBy.reduce((a, b) => a + b, 0);
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const ok = admitted >= RPM && admitted <= RPM + 3;
  console.log(
    JSON.stringify(
      {
        seconds: (Date.now() - t0) / 1000,
        requests: total,
        statuses: Object.fromEntries(statuses),
        admitted,
        admittedByReplica: admittedBy,
        retryAfterSeconds: retryAfter.length
          ? { min: Math.min(...retryAfter), max: Math.max(...retryAfter) }
          : null,
      },
      null,
      2,
    ),
  );
  console.log(
    ok
      ? `PASS: ${admitted} admitted (expected ${RPM}..${RPM + 3})`
      : `FAIL: ${admitted} admitted (expected ${RPM}..${RPM + 3})`,
  );
  redis.client.disconnect();
  return ok;
}

main()
  .then(async (ok) => {
    await stopAll();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (err) => {
    console.error(err instanceof Error ? err.message : err);
    await stopAll();
    process.exit(1);
  });
