import { ApiError, errorMessage, isMissingRoute } from './api-error';

/** Query parameters; undefined and empty values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** What a request carries besides its method and path. */
export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is with `contentType`. */
  text?: string;
  contentType?: string;
  /** Multipart or other prepared body. */
  form?: FormData;
  signal?: AbortSignal;
}

/** A path with its query string (empty values dropped). */
export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json') || text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Every call the panel makes: same origin, `Authorization: Bearer <management key>` (the
 * management, control and cluster APIs all accept it), errors turned into ApiError with the
 * server's message. A 401 means the key stopped working: the session ends.
 */
export class ApiClient {
  constructor(
    private readonly key: string,
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  /** Headers for a call that cannot go through `request` (streams). */
  authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.key}` };
  }

  /** Send a request; resolves with the successful Response, rejects with ApiError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = this.authHeaders();
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers['content-type'] = opts.contentType ?? 'text/plain';
      body = opts.text;
    } else if (opts.form) {
      body = opts.form;
    }
    let res: Response;
    try {
      res = await fetch(withQuery(path, opts.query), {
        method,
        headers,
        body,
        signal: opts.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'The gateway could not be reached', undefined);
    }
    if (res.ok) return res;
    const parsed = await readBody(res);
    const missing = isMissingRoute(res.status, parsed);
    const message = missing
      ? `${method} ${path.split('?')[0]} is not available on this gateway`
      : errorMessage(parsed, res.status);
    if (res.status === 401) this.onUnauthorized(message);
    throw new ApiError(res.status, message, parsed, missing);
  }

  /** A JSON answer. */
  async json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
    const res = await this.request(method, path, opts);
    return (await readBody(res)) as T;
  }

  /** GET a JSON answer. */
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, { query, signal });
  }

  /** GET a text answer (config.yaml, error logs). */
  async text(path: string, query?: Query): Promise<string> {
    return (await this.request('GET', path, { query })).text();
  }
}
