// Fault injection: faults are queued, matched against each request and consumed in order.

/** Every fault a FakeUpstream can inject. */
export type FaultKind =
  'fail' | 'slowFirstByte' | 'resetMidStream' | 'garbageStream' | 'neverEnd' | 'delayBetweenChunks';

/**
 * Which requests a fault applies to; every given field must match. Without `path` a fault only
 * hits model-serving routes (generation and token counting), never model lists or Code Assist
 * account calls, so setup traffic of the gateway does not eat it.
 */
export interface FaultMatch {
  /** A substring of the request path (`':streamGenerateContent'`), or a RegExp tested on it. */
  readonly path?: string | RegExp;
  /** The requested model (from the body, or the URL for Gemini): exact string or RegExp. */
  readonly model?: string | RegExp;
  /** The credential: Authorization bearer, x-api-key, x-goog-api-key or ?key= value. */
  readonly apiKey?: string;
}

/** How often and for whom a fault fires. */
export interface FaultScope {
  /** How many requests it hits (default 1; `Infinity` for all). */
  readonly times?: number;
  readonly match?: FaultMatch;
}

/** Answer with an error status. The body defaults to the provider's real error shape. */
export interface FailSpec extends FaultScope {
  readonly status: number;
  /** A replacement body: a string is sent as is, anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Retry hint on 429s: Retry-After, Gemini retryDelay, Codex resets_in_seconds (default 1). */
  readonly retryAfterSeconds?: number;
}

/** Hold the response headers back. */
export interface SlowFirstByteSpec extends FaultScope {
  readonly ms: number;
}

/** Reset the connection (TCP RST) after some stream frames (non-stream: after half the body). */
export interface ResetMidStreamSpec extends FaultScope {
  readonly afterChunks: number;
}

/** Pause between stream frames. */
export interface DelaySpec extends FaultScope {
  readonly ms: number;
}

/** One queued fault. */
export type Fault =
  | { readonly kind: 'fail'; readonly spec: FailSpec }
  | { readonly kind: 'slowFirstByte'; readonly spec: SlowFirstByteSpec }
  | { readonly kind: 'resetMidStream'; readonly spec: ResetMidStreamSpec }
  | { readonly kind: 'garbageStream'; readonly spec: FaultScope }
  | { readonly kind: 'neverEnd'; readonly spec: FaultScope }
  | { readonly kind: 'delayBetweenChunks'; readonly spec: DelaySpec };

/** A fault that decides how the response ends; at most one applies to a request. */
export type TerminalFault = Extract<
  Fault,
  { kind: 'fail' | 'resetMidStream' | 'garbageStream' | 'neverEnd' }
>;

/** The facts about a request that faults match on. */
export interface FaultTarget {
  readonly path: string;
  readonly model?: string;
  readonly apiKey?: string;
  /** Generation or token counting, as opposed to lists and account calls. */
  readonly servesModel: boolean;
}

/** The faults picked for one request. */
export interface FaultPlan {
  readonly terminal?: TerminalFault;
  readonly slowMs?: number;
  readonly delayMs?: number;
  readonly kinds: readonly FaultKind[];
}

interface Entry {
  readonly fault: Fault;
  left: number;
}

function matches(m: FaultMatch | undefined, t: FaultTarget): boolean {
  if (m?.path === undefined) {
    if (!t.servesModel) return false;
  } else if (typeof m.path === 'string' ? !t.path.includes(m.path) : !m.path.test(t.path)) {
    return false;
  }
  if (m?.model !== undefined) {
    if (t.model === undefined) return false;
    if (typeof m.model === 'string' ? m.model !== t.model : !m.model.test(t.model)) return false;
  }
  if (m?.apiKey !== undefined && m.apiKey !== t.apiKey) return false;
  return true;
}

function isTerminal(f: Fault): f is TerminalFault {
  return (
    f.kind === 'fail' ||
    f.kind === 'resetMidStream' ||
    f.kind === 'garbageStream' ||
    f.kind === 'neverEnd'
  );
}

/** Queued faults; the first matching entry of each class (terminal, first byte, pacing) fires. */
export class FaultQueue {
  private entries: Entry[] = [];

  /** Queue a fault for `times` requests. */
  add(fault: Fault, defaultTimes = 1): void {
    const times = fault.spec.times ?? defaultTimes;
    if (!(times > 0)) throw new Error(`fault ${fault.kind}: times must be positive, got ${times}`);
    this.entries.push({ fault, left: times });
  }

  /** Drop every queued fault. */
  clear(): void {
    this.entries = [];
  }

  /** Faults still queued. */
  get size(): number {
    return this.entries.length;
  }

  /** Pick and consume the faults for one request; undefined when none applies. */
  take(target: FaultTarget): FaultPlan | undefined {
    if (this.entries.length === 0) return undefined;
    let terminal: { e: Entry; f: TerminalFault } | undefined;
    let slow: { e: Entry; ms: number } | undefined;
    let delay: { e: Entry; ms: number } | undefined;
    for (const e of this.entries) {
      const f = e.fault;
      if (isTerminal(f)) {
        if (!terminal && matches(f.spec.match, target)) terminal = { e, f };
      } else if (f.kind === 'slowFirstByte') {
        if (!slow && matches(f.spec.match, target)) slow = { e, ms: f.spec.ms };
      } else if (!delay && matches(f.spec.match, target)) {
        delay = { e, ms: f.spec.ms };
      }
    }
    if (!terminal && !slow && !delay) return undefined;
    const kinds: FaultKind[] = [];
    for (const picked of [terminal, slow, delay]) {
      if (!picked) continue;
      kinds.push(picked.e.fault.kind);
      picked.e.left--;
    }
    this.entries = this.entries.filter((e) => e.left > 0);
    return { terminal: terminal?.f, slowMs: slow?.ms, delayMs: delay?.ms, kinds };
  }
}
