// The proxy pipeline with everything around it scripted: routing plans, upstream answers, and
// recorders for usage and exchanges. Specs send one client call at a time and read the answer.
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { configSchema, type ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { UpstreamHttp } from '@app/upstream';
import {
  CandidateSource,
  ExchangeRecorder,
  ProxyMetrics,
  ProxyService,
  type Candidate,
  type ClientCall,
  type LimitsService,
  type Plan,
  type ProxyExchange,
} from '@app/proxy';
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
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json(): unknown;
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
  readonly metrics = new ProxyMetrics(new MetricsService());
  /** Answers per upstream host (the first label of its URL); unscripted calls get a completion. */
  readonly answers = new Map<string, UpstreamAnswer[]>();
  /** Hosts called, in order. */
  readonly calls: string[] = [];
  readonly sent: SentCall[] = [];
  readonly sut: ProxyService;
  private readonly app: FastifyInstance;
  private next: ClientCall | undefined;

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
    this.sut = new ProxyService(
      cfg,
      this.source,
      http,
      this.usage,
      this.metrics,
      this.exchanges,
      undefined,
      opts.limits,
    );
    this.app = Fastify();
    this.app.post('*', (req, reply) => this.sut.handle(req, reply, this.next!));
  }

  /** Script the next answers of upstream `host`. */
  answer(host: string, ...answers: UpstreamAnswer[]): void {
    this.answers.set(host, [...(this.answers.get(host) ?? []), ...answers]);
  }

  /** Send one client call and read its answer. */
  async send(s: ClientSend): Promise<Answered> {
    this.next = s.call;
    const res = await this.app.inject({
      method: 'POST',
      url: s.url ?? s.call.route.replace('{model}', `${s.call.model ?? ''}:generateContent`),
      headers: s.headers,
      payload: s.body as Record<string, unknown>,
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      json: () => res.json(),
    };
  }

  close(): Promise<void> {
    return this.app.close();
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
