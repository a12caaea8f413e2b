import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { configSchema } from '@app/config';
import {
  applyServerTimeouts,
  closeSilentConnections,
  type TimeoutTarget,
} from '@app/gateway/http/server-timeouts';

describe(applyServerTimeouts.name, () => {
  it('should set every deadline from the config in milliseconds', () => {
    const sut: TimeoutTarget = {
      headersTimeout: 0,
      requestTimeout: 0,
      keepAliveTimeout: 0,
    };
    const t = configSchema.parse({
      'server-timeouts': { 'headers-seconds': 2.5, 'request-seconds': 10, 'keep-alive-seconds': 5 },
    })['server-timeouts'];
    applyServerTimeouts(sut, t);
    expect(sut).toEqual({
      headersTimeout: 2500,
      requestTimeout: 10000,
      keepAliveTimeout: 5000,
      connectionsCheckingInterval: 1000,
    });
  });

  it('should default to 30 s for headers, 300 s per request and 72 s keep-alive', () => {
    expect(configSchema.parse({})['server-timeouts']).toEqual({
      'headers-seconds': 30,
      'request-seconds': 300,
      'keep-alive-seconds': 72,
    });
  });

  it('should refuse a header deadline longer than the request deadline', () => {
    const r = configSchema.safeParse({
      'server-timeouts': { 'headers-seconds': 60, 'request-seconds': 30 },
    });
    expect(r.success).toBe(false);
  });

  describe('on a real server', () => {
    let server: Server;

    beforeEach(async () => {
      server = createServer((_req, res) => res.end('ok'));
      const t = configSchema.parse({ 'server-timeouts': { 'headers-seconds': 0.3 } })[
        'server-timeouts'
      ];
      applyServerTimeouts(server, t);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('should answer 408 and close a client that never finishes its headers', async () => {
      const port = (server.address() as AddressInfo).port;
      const sock = connect(port, '127.0.0.1');
      let text = '';
      sock.on('data', (d: Buffer) => (text += d.toString()));
      sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      const t0 = Date.now();
      await new Promise((resolve) => sock.on('close', resolve));
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - t0).toBeLessThan(1500);
    });
  });
});

describe(closeSilentConnections.name, () => {
  let server: Server;
  let port: number;

  beforeEach(async () => {
    // The handler answers after 600 ms: longer than the 300 ms silence allowed before a request.
    server = createServer((_req, res) => setTimeout(() => res.end('late but fine'), 600));
    closeSilentConnections(server, 300);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('should close a connection that sends nothing', async () => {
    const sock = connect(port, '127.0.0.1');
    const t0 = Date.now();
    await new Promise((resolve) => sock.on('close', resolve));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('should not cut a request whose answer takes longer than that', async () => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    await new Promise((resolve) => sock.on('close', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('late but fine');
  });
});
