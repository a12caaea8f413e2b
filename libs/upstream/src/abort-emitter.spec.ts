import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AbortEmitter, onAbort } from '@app/upstream/abort-emitter';
import { UpstreamHttp } from '@app/upstream/upstream-http';

describe(AbortEmitter.name, () => {
  it('should run abort listeners once and remember the reason', () => {
    const sut = new AbortEmitter();
    const seen: unknown[] = [];
    onAbort(sut, () => seen.push(sut.reason));
    expect(sut.aborted).toBe(false);
    sut.abort('gone');
    sut.abort('again');
    expect(sut.aborted).toBe(true);
    expect(seen).toEqual(['gone']);
    expect(sut.listenerCount('abort')).toBe(0);
  });

  it('should not call a listener that was removed', () => {
    const sut = new AbortEmitter();
    const fn = jest.fn();
    const off = onAbort(sut, fn);
    off();
    sut.abort();
    expect(fn).not.toHaveBeenCalled();
  });

  it('should also listen on a standard AbortSignal', () => {
    const ac = new AbortController();
    const fn = jest.fn();
    const off = onAbort(ac.signal, fn);
    ac.abort();
    off();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('should cancel an undici request in flight when aborted', async () => {
    // A server that never answers: only the abort can end the request.
    const sockets: import('node:net').Socket[] = [];
    const server = http.createServer(() => undefined);
    server.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const upstream = new UpstreamHttp();
    const sut = new AbortEmitter();
    try {
      const pending = upstream.request(`http://127.0.0.1:${port}/v1/x`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: sut,
      });
      setTimeout(() => sut.abort(), 20);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await upstream.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
