import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PauseService } from '@app/proxy';
import { PROCESS_NAME, RedisService } from '@app/storage';

/** Pub/sub channel announcing a cluster-wide pause or resume. */
export const PROXY_PAUSE_CHANNEL = 'control-proxy-pause';

/** The shared pause flag (key `<prefix>control:proxy-paused`) and its announcements. */
interface PauseMessage {
  paused: boolean;
  /** Ms since epoch of the change. */
  at: number;
  /** Member that made it. */
  by: string;
}

/** How often each replica re-reads the flag (heals a missed announcement). */
const REFRESH_MS = 5000;
/** How long startup waits for Redis to learn whether the cluster is paused. */
const STARTUP_WAIT_MS = 3000;

function parseMessage(text: string): PauseMessage | undefined {
  try {
    const m = JSON.parse(text) as Partial<PauseMessage>;
    if (typeof m.paused !== 'boolean') return undefined;
    return { paused: m.paused, at: Number(m.at) || Date.now(), by: String(m.by ?? '') };
  } catch {
    return undefined;
  }
}

/**
 * The control API's cluster-wide proxy pause: a flag in Redis plus a pub/sub announcement, so
 * `proxy-stop` on one replica makes every replica's proxy routes answer 503 with Retry-After
 * (management stays up) within moments, and `proxy-start` resumes them. A replica that starts
 * while the cluster is paused reads the flag before it takes traffic.
 */
@Injectable()
export class ProxyPauseService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ControlApi');
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly onReady = () => void this.refresh();
  /** When proxy traffic last started on this replica (boot or resume). */
  private lastStarted = Date.now();
  private lastPaused: number | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly flags: PauseService,
    @Inject(PROCESS_NAME) private readonly name: string,
  ) {}

  private get key(): string {
    return this.redis.key('control', 'proxy-paused');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.redis.subscribe(PROXY_PAUSE_CHANNEL, (text) => {
      const m = parseMessage(text);
      if (m) this.apply(m.paused, m.at, m.by);
    });
    this.redis.command.on('ready', this.onReady);
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    // Before the server listens: a new replica of a paused cluster must not serve.
    if (await this.redis.waitReady(STARTUP_WAIT_MS)) await this.refresh();
    else this.logger.warn('Redis not reachable at startup: assuming proxy traffic is not paused');
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.redis.command.off('ready', this.onReady);
    this.unsubscribe?.();
  }

  /** True while proxy traffic is paused cluster-wide. */
  get paused(): boolean {
    return this.flags.isClusterPaused;
  }

  /** When proxy traffic last started (boot or resume), ms since epoch. */
  get startedAt(): number {
    return this.lastStarted;
  }

  /** When the current pause began, ms since epoch; undefined while running. */
  get pausedAt(): number | undefined {
    return this.paused ? (this.lastPaused ?? Date.now()) : undefined;
  }

  /** Pause every replica. Throws when Redis is unreachable (nothing changes then). */
  async pause(): Promise<void> {
    await this.set(true);
  }

  /** Resume every replica. Throws when Redis is unreachable. */
  async resume(): Promise<void> {
    await this.set(false);
  }

  private async set(paused: boolean): Promise<void> {
    const msg: PauseMessage = { paused, at: Date.now(), by: this.name };
    if (paused) await this.redis.command.set(this.key, JSON.stringify(msg));
    else await this.redis.command.del(this.key);
    this.apply(paused, msg.at, this.name);
    await this.redis.publish(PROXY_PAUSE_CHANNEL, JSON.stringify(msg));
  }

  /** Re-read the flag (startup, reconnect, every few seconds). */
  async refresh(): Promise<void> {
    if (!this.redis.isReady) return;
    try {
      const raw = await this.redis.command.get(this.key);
      const m = raw === null ? undefined : parseMessage(raw);
      if (raw === null) this.apply(false, Date.now(), '');
      else if (m) this.apply(m.paused, m.at, m.by);
    } catch (err) {
      this.logger.debug(`pause flag not read: ${(err as Error).message}`);
    }
  }

  private apply(paused: boolean, at: number, by: string): void {
    if (paused === this.flags.isClusterPaused) return;
    this.flags.setClusterPaused(paused);
    if (paused) {
      this.lastPaused = at;
      this.logger.warn(`proxy traffic paused cluster-wide${by ? ` by ${by}` : ''}`);
    } else {
      this.lastStarted = at;
      this.lastPaused = undefined;
      this.logger.log(`proxy traffic resumed cluster-wide${by ? ` by ${by}` : ''}`);
    }
  }
}
