import {
  RelayType,
  isTerminal,
  parseRelayMessage,
  type RelayMessage,
} from '@app/proxy/relay/relay.protocol';

/** The socket under a session (a `ws` WebSocket in the gateway, a fake in tests). */
export interface RelaySocket {
  /** Send a text frame. */
  send(text: string): void;
  /** Send a protocol-level ping. */
  ping(): void;
  /** Close cleanly. */
  close(code: number, reason: string): void;
}

/** Timing of a session (CLIProxyAPI's: 60 s read timeout, 30 s heartbeat). */
export interface RelaySessionTiming {
  /** Close the connection when nothing (frame or pong) arrived for this long. */
  readTimeoutMs: number;
  /** Ping (and refresh the shared registration) this often. */
  heartbeatMs: number;
}

export const DEFAULT_RELAY_TIMING: RelaySessionTiming = {
  readTimeoutMs: 60_000,
  heartbeatMs: 30_000,
};

/** Receives the frames answering one request. */
export type FrameListener = (msg: RelayMessage) => void;

/** Session events the hub reacts to. */
export interface RelaySessionEvents {
  /** Every heartbeat (the hub refreshes the registration's TTL). */
  heartbeat(session: RelaySession): void;
  /** The session is over, for whatever reason; pending requests were already failed. */
  closed(session: RelaySession, reason: string): void;
}

/** WebSocket close code for "went away" (shutdown) and for a silent peer. */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TIMEOUT = 4008;

/**
 * One browser-side app connected to `/v1/ws` on this replica: a credential of provider
 * `aistudio` while it lives. Sends requests as `http_request` frames, routes the answers to
 * the listener of their id, answers pings, pings every heartbeat, and closes when the peer has
 * been silent longer than the read timeout. When it ends, every pending request gets an `error`
 * frame so no caller waits for an answer that cannot come.
 */
export class RelaySession {
  private readonly pending = new Map<string, FrameListener>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readDeadline: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;

  constructor(
    /** Connection id (`aistudio-…`), unique across the cluster. */
    readonly id: string,
    private readonly socket: RelaySocket,
    private readonly events: RelaySessionEvents,
    private readonly timing: RelaySessionTiming = DEFAULT_RELAY_TIMING,
  ) {
    this.touch();
    this.heartbeat = setInterval(() => this.beat(), timing.heartbeatMs);
    this.heartbeat.unref();
  }

  /** True once the session ended. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Requests waiting for their answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Send a request frame; `listener` gets every frame with its id until a terminal one. */
  request(msg: RelayMessage, listener: FrameListener): void {
    if (this.closed) {
      listener(errorFrame(msg.id, `relay connection ${this.id} is closed`));
      return;
    }
    if (this.pending.has(msg.id)) {
      listener(errorFrame(msg.id, `duplicate relay request id ${msg.id}`));
      return;
    }
    this.pending.set(msg.id, listener);
    try {
      this.socket.send(JSON.stringify(msg));
    } catch (err) {
      this.pending.delete(msg.id);
      listener(errorFrame(msg.id, `relay send failed: ${(err as Error).message}`));
    }
  }

  /** Stop routing frames for a request (its caller left); late frames are dropped. */
  forget(id: string): void {
    this.pending.delete(id);
  }

  /** A text frame arrived from the app. */
  onText(text: string): void {
    this.touch();
    const msg = parseRelayMessage(text);
    if (!msg) return;
    if (msg.type === RelayType.Ping) {
      this.sendQuietly({ id: msg.id, type: RelayType.Pong });
      return;
    }
    const listener = this.pending.get(msg.id);
    if (!listener) return;
    if (isTerminal(msg.type)) this.pending.delete(msg.id);
    listener(msg);
  }

  /** A pong (or any sign of life below the JSON level) arrived. */
  onPong(): void {
    this.touch();
  }

  /** The socket closed (peer, network or us). */
  onSocketClosed(reason: string): void {
    this.end(reason);
  }

  /** Close from our side (shutdown, replaced). */
  close(reason: string): void {
    if (this.closed) return;
    try {
      this.socket.close(CLOSE_GOING_AWAY, reason);
    } catch {
      // Already gone; end() below still fails the pending requests.
    }
    this.end(reason);
  }

  private beat(): void {
    if (this.closed) return;
    try {
      this.socket.ping();
    } catch {
      return this.end('ping failed');
    }
    this.events.heartbeat(this);
  }

  private touch(): void {
    if (this.readDeadline) clearTimeout(this.readDeadline);
    if (this.closed) return;
    this.readDeadline = setTimeout(() => {
      try {
        this.socket.close(CLOSE_TIMEOUT, 'read timeout');
      } catch {
        // Ending below is what matters.
      }
      this.end('read timeout');
    }, this.timing.readTimeoutMs);
    this.readDeadline.unref();
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closedReason = reason;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.readDeadline) clearTimeout(this.readDeadline);
    const waiting = [...this.pending];
    this.pending.clear();
    for (const [id, listener] of waiting) {
      listener(errorFrame(id, `relay connection ${this.id} closed: ${reason}`));
    }
    this.events.closed(this, reason);
  }

  private sendQuietly(msg: RelayMessage): void {
    try {
      this.socket.send(JSON.stringify(msg));
    } catch {
      // A pong that cannot go out means the socket is closing; its close event follows.
    }
  }
}

/** An `error` frame the gateway makes itself (no HTTP status: a transport failure). */
export function errorFrame(id: string, message: string): RelayMessage {
  return { id, type: RelayType.Error, payload: { error: message } };
}
