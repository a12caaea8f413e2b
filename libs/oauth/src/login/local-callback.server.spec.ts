import { createServer } from 'node:net';
import { listenForCallback } from '@app/oauth/login/local-callback.server';
import type { CallbackParams } from '@app/oauth/login/callback-input';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe(listenForCallback.name, () => {
  it('should hand the redirect to the handler and answer with its page', async () => {
    const port = await freePort();
    const seen: CallbackParams[] = [];
    const sut = await listenForCallback(`http://localhost:${port}/callback`, async (p) => {
      seen.push(p);
      return { status: 200, html: '<p>done</p>' };
    });
    try {
      expect(sut?.port).toBe(port);
      const res = await fetch(`http://127.0.0.1:${port}/callback?code=c1&state=s1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toBe('<p>done</p>');
      expect(seen).toEqual([{ code: 'c1', state: 's1', error: undefined }]);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect(seen).toHaveLength(1);
    } finally {
      await sut?.close();
    }
  });

  it('should not listen for a redirect that is not a local http URL', async () => {
    const handle = jest.fn();
    expect(await listenForCallback('https://example.com/cb', handle)).toBeUndefined();
    expect(await listenForCallback('http://10.0.0.1:8085/cb', handle)).toBeUndefined();
    expect(await listenForCallback('not a url', handle)).toBeUndefined();
  });

  it('should give up when the port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    const blocker6 = createServer();
    await new Promise<void>((r) => {
      blocker6.once('error', () => r());
      blocker6.listen(port, '::1', r);
    });
    try {
      expect(await listenForCallback(`http://127.0.0.1:${port}/cb`, jest.fn())).toBeUndefined();
    } finally {
      blocker.close();
      blocker6.close();
    }
  });
});
