// Container healthcheck: exit 0 when GET /status answers 200 (plain exec, no shell or curl).
import { request } from 'node:http';

const port = Number(process.env.PORT ?? process.env.HEALTHCHECK_PORT ?? 8317);
const req = request(
  { host: '127.0.0.1', port, path: '/status', method: 'GET', timeout: 4000 },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
