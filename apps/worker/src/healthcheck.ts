// Container healthcheck: exit 0 when the worker's GET /health answers 200.
import { request } from 'node:http';

const port = Number(process.env.WORKER_PORT ?? 8318);
const req = request(
  { host: '127.0.0.1', port, path: '/health', method: 'GET', timeout: 4000 },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
