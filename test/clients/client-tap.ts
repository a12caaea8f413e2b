import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One exchange between a CLI and the gateway, as it went over the wire. */
export interface TapExchange {
  readonly method: string;
  /** Path and query as the CLI sent them. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
}

/**
 * A recording pass-through between a CLI and the gateway: every request is forwarded as it came
 * (the Host header aside) and the answer streamed back as the gateway sends it, while both are
 * kept. It shows what the CLI itself sent (headers, body) to compare with what reached the fake
 * upstream, and what the gateway answered (status, SSE events).
 */
export class ClientTap {
  readonly exchanges: TapExchange[] = [];
  readonly url: string;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.relay(req, res));
  }

  static async start(targetUrl: string): Promise<ClientTap> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ClientTap(server, new URL(targetUrl));
  }

  clear(): void {
    this.exchanges.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const ex: TapExchange = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(parts),
        status: 0,
        responseHeaders: {},
        responseBody: Buffer.alloc(0),
      };
      this.exchanges.push(ex);
      const out = httpRequest(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: ex.method,
          path: ex.url,
          headers: { ...req.headers, host: this.target.host },
        },
        (up) => {
          ex.status = up.statusCode ?? 0;
          ex.responseHeaders = up.headers;
          res.writeHead(ex.status, up.headers);
          const got: Buffer[] = [];
          // Kept as it passes, not at the end: a CLI may hang up as soon as it has the last
          // event (Codex CLI does), and the tap then never sees the gateway's end.
          up.on('data', (c: Buffer) => {
            got.push(c);
            ex.responseBody = Buffer.concat(got);
            res.write(c);
          });
          up.on('end', () => res.end());
          up.on('error', () => res.destroy());
        },
      );
      out.on('error', (err) => {
        ex.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`tap: ${err.message}`);
      });
      res.on('close', () => {
        if (!res.writableFinished) out.destroy();
      });
      out.end(ex.body);
    });
  }
}
