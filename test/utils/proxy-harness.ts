// The proxy pipeline with everything around it scripted: routing plans, upstream answers, and
// recorders for usage and exchanges. Specs send one client call at a time, as plain inputs (no
// server), and read what the client received.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { configSchema, type ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { UpstreamHttp } from '@app/upstream';
import {
  AdmissionService,
  CandidateSource,
  ClientKeyService,
  PauseService,
  ProxyMetrics,
  ProxyService,
  type Candidate,
  type ClientCall,
  type ClientRequest,
  type LimitsService,
  type Plan,
  Delivery,
  Accounting,
  AttemptReport,
  UpstreamAttempt,
  Failover,
  type RelayHub,
} from '@app/proxy';
import { ExchangeRecorder, type ProxyExchange } from '@app/logs';
import { MemoryResponse } from '@test/utils/memory-response';
import { MemoryUsageRecorder } from '@test/utils/memory-usage-recorder';

export type { Candidate, Plan };

/** An OpenAI-compatible credential named `name`, served at `http://<name>.upstream/v1`. */
export function cand(name: string, over: Partial<Candidate> = {}): Candidate {
  return {
    credentialId: `config:${name}`,
    authIndex: name.padEnd(16, '0'),
    provider: 'openai-compatibility',
    label: name,
    upstreamModel: 'up-model',
    stateModel: 'up-model',
    baseUrl: `http://${name}.upstream/v1`,
    headers: {},
    token: `sk-upstream-${name}-0123456789`,
    oauth: false,
    ...over,
  };
}

/** Routing with scripted plans (the last one repeats) that records what it is told. */
export class ScriptedSource extends CandidateSource {
  plans: Plan[] = [];
  planCalls = 0;
  readonly failures: { name: string; status: number; retryAfterSec?: number }[] = [];
  readonly successes: string[] = [];

  plan(): Promise<Plan> {
    this.planCalls++;
    return Promise.resolve(this.plans.length > 1 ? this.plans.shift()! : this.plans[0]);
  }

  reportFailure(c: Candidate, status: number, retryAfterSec: number | undefined): Promise<void> {
    this.failures.push({ name: c.label, status, retryAfterSec });
    return Promise.resolve();
  }

  reportSuccess(c: Candidate): void {
    this.successes.push(c.label);
  }

  listModels(): [] {
    return [];
  }

  /** Every model is configured except `nobody-serves-this`. */
  override knows(model: string): boolean {
    return model !== 'nobody-serves-this';
  }
}

/** The request and error logs' view, kept in a list. */
export class ListRecorder extends ExchangeRecorder {
  readonly seen: ProxyExchange[] = [];

  constructor(private readonly bodies = false) {
    super();
  }

  get capturesBodies(): boolean {
    return this.bodies;
  }

  record(x: ProxyExchange): void {
    this.seen.push(x);
  }
}

/** How an upstream answers one call: a status and body, a stream in reads, or a failed call. */
export type UpstreamAnswer =
  | {
      status: number;
      /** A JSON value, or text as it is sent. */
      body?: unknown;
      /** The body in separate reads (a stream); `body` is ignored. */
      chunks?: string[];
      /** Thrown after the chunks were read (a connection reset mid-body). */
      failAfter?: Error;
      headers?: Record<string, string>;
    }
  | Error;

/** What one upstream call carried. */
export interface SentCall {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The client's answer, read whole. */
export interface Answered {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  json(): unknown;
  /** The sink the pipeline answered through. */
  res: MemoryResponse;
}

export interface HarnessOptions {
  /** config.yaml values (parsed with the real schema). */
  config?: Record<string, unknown>;
  /** The request log keeps bodies (`request-log: true`). */
  bodies?: boolean;
  limits?: LimitsService;
}

/** One client call: the route's call, the JSON body, and optionally headers and the URL. */
export interface ClientSend {
  call: ClientCall;
  body: unknown;
  headers?: Record<string, string>;
  url?: string;
  /** The response sink to answer through (to leave early, say); a fresh one by default. */
  res?: MemoryResponse;
}

const COMPLETION = {
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'up-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

/** An upstream body as undici hands it out: a stream with `.text()`. */
function upstreamBody(
  parts: string[],
  failAfter: Error | undefined,
): Dispatcher.ResponseData['body'] {
  async function* read(): AsyncGenerator<Buffer> {
    for (const p of parts) yield Buffer.from(p);
    if (failAfter) throw failAfter;
  }
  const stream = Readable.from(read());
  return Object.assign(stream, {
    text: async () => {
      let s = '';
      for await (const chunk of stream) s += String(chunk);
      return s;
    },
  }) as unknown as Dispatcher.ResponseData['body'];
}

/** The proxy pipeline over scripted routing and upstreams. */
export class ProxyHarness {
  readonly source = new ScriptedSource();
  readonly usage = new MemoryUsageRecorder();
  readonly exchanges: ListRecorder;
  readonly metrics: ProxyMetrics;
  readonly pause = new PauseService();
  readonly keys: ClientKeyService;
  /** Answers per upstream host (the first label of its URL); unscripted calls get a completion. */
  readonly answers = new Map<string, UpstreamAnswer[]>();
  /** Hosts called, in order. */
  readonly calls: string[] = [];
  readonly sent: SentCall[] = [];
  readonly sut: ProxyService;
  private requests = 0;

  constructor(opts: HarnessOptions = {}) {
    this.exchanges = new ListRecorder(opts.bodies);
    const http = {
      request: (url: string, init: { headers: Record<string, string>; body: string }) => {
        const host = new URL(url).hostname.split('.')[0];
        this.calls.push(host);
        this.sent.push({ url, headers: init.headers, body: init.body });
        const a = this.answers.get(host)?.shift() ?? { status: 200, body: COMPLETION };
        if (a instanceof Error) return Promise.reject(a);
        const parts = a.chunks ?? [
          typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? ''),
        ];
        return Promise.resolve({
          statusCode: a.status,
          headers: a.headers ?? {},
          body: upstreamBody(parts, a.failAfter),
        });
      },
    } as unknown as UpstreamHttp;
    const cfg = { current: configSchema.parse(opts.config ?? {}) } as unknown as ConfigService;
    this.metrics = new ProxyMetrics(new MetricsService(), cfg);
    const limits = opts.limits ?? ({ enabled: false } as LimitsService);
    // Calls to aistudio relay connections are not scripted here (see relay-hub.spec.ts).
    const relay = {} as RelayHub;
    const report = new AttemptReport(this.source, this.metrics);
    const attempt = new UpstreamAttempt(
      http,
      relay,
      this.metrics,
      report,
      new Delivery(report, this.metrics),
    );
    this.keys = new ClientKeyService(cfg);
    this.sut = new ProxyService(
      cfg,
      new AdmissionService(this.pause, limits),
      this.source,
      new Failover(this.source, this.metrics, attempt),
      new Accounting(cfg, this.metrics, this.usage, this.exchanges),
      this.metrics,
    );
  }

  /** Script the next answers of upstream `host`. */
  answer(host: string, ...answers: UpstreamAnswer[]): void {
    this.answers.set(host, [...(this.answers.get(host) ?? []), ...answers]);
  }

  /**
   * Send one client call and read its answer. The key is identified as the request gate does;
   * a refused key is the route layer's answer, not the pipeline's (proxy-entry.spec.ts).
   */
  async send(s: ClientSend): Promise<Answered> {
    const headers: Record<string, string> = { ...s.headers };
    const url = s.url ?? s.call.route.replace('{model}', `${s.call.model ?? ''}:generateContent`);
    const query = Object.fromEntries(new URL(url, 'http://gateway').searchParams);
    const req: ClientRequest = {
      id: headers['x-request-id'] ?? `req-${++this.requests}`,
      method: 'POST',
      url,
      headers,
      query,
      body: s.body,
      socket: { remoteAddress: '127.0.0.1' },
    };
    const who = this.keys.identify(req, s.call.route);
    if (!who) throw new Error('the key of this call is refused before the pipeline');
    const res = s.res ?? new MemoryResponse();
    await this.sut.handle(s.call, req, who, res);
    return {
      status: res.status,
      headers: res.headers,
      body: res.body,
      json: () => JSON.parse(res.body) as unknown,
      res,
    };
  }
}

/** Client calls of the usual routes. */
export const CALLS = {
  chat: { format: 'openai', action: 'generate', route: '/v1/chat/completions' },
  messages: { format: 'claude', action: 'generate', route: '/v1/messages' },
  countTokens: { format: 'claude', action: 'count_tokens', route: '/v1/messages/count_tokens' },
  responses: { format: 'openai-responses', action: 'generate', route: '/v1/responses' },
  compact: { format: 'openai-responses', action: 'compact', route: '/v1/responses/compact' },
} as const satisfies Record<string, ClientCall>;

/** A Gemini generateContent call for `model` (streamed with `alt`). */
export function geminiCall(model: string, alt?: 'sse' | 'json-array'): ClientCall {
  return {
    format: 'gemini',
    action: 'generate',
    route: '/v1beta/models/{model}',
    model,
    stream: alt !== undefined,
    geminiAlt: alt,
  };
}
