// Healthcheck of the compose test's fake upstream: exit 0 when its GET /v1/models answers 200.
// A file rather than `node -e`: podman-compose mangles exec healthchecks with spaces or quotes.
'use strict';
const { request } = require('node:http');

const port = Number(process.env.FAKE_UPSTREAM_PORT || 9000);
const req = request(
  { host: '127.0.0.1', port, path: '/v1/models', method: 'GET', timeout: 4000 },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
