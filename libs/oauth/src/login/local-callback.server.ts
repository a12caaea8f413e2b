import { createServer, type Server } from 'node:http';
import { callbackFromQuery, type CallbackParams } from '@app/oauth/login/callback-input';

/** What the listener answers the browser with once the callback is handled. */
export interface LocalCallbackAnswer {
  status: number;
  html: string;
}

/** A running local listener; `close()` stops it. */
export interface LocalCallbackServer {
  /** The port it listens on. */
  port: number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

/**
 * Listen where the provider sends the browser back (`http://localhost:54545/callback` for
 * Claude…), on loopback only, and hand each callback to `handle`. For the login CLI on a machine
 * with a browser. Undefined when the redirect URI is not a local http URL or the port is taken
 * (the user can still paste the URL).
 */
export async function listenForCallback(
  redirectUri: string,
  handle: (params: CallbackParams) => Promise<LocalCallbackAnswer>,
): Promise<LocalCallbackServer | undefined> {
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (target.protocol !== 'http:' || !LOOPBACK_HOSTS.has(target.hostname)) return undefined;
  const port = Number(target.port || 80);
  const servers: Server[] = [];
  const make = () =>
    createServer((req, res) => {
      const url = new URL(req.url ?? '/', target.origin);
      if (req.method !== 'GET' || url.pathname !== target.pathname) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      void handle(callbackFromQuery(url.searchParams)).then(
        (a) =>
          res
            .writeHead(a.status, {
              'content-type': 'text/html; charset=utf-8',
              'cache-control': 'no-store',
            })
            .end(a.html),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('login failed'),
      );
    });
  // Browsers may resolve localhost to ::1 or to 127.0.0.1: listen on both loopbacks.
  for (const host of ['127.0.0.1', '::1']) {
    const server = make();
    if (await listen(server, port, host)) servers.push(server);
  }
  if (!servers.length) return undefined;
  return {
    port,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
