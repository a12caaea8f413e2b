import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ConfigService } from '@app/config';
import { Credential, ModelRegistry, type RouteCandidate } from '@app/routing';
import { hashTag, RedisService } from '@app/storage';
import type { Candidate } from '@app/proxy/candidate-source';
import { RelayChannels } from '@app/proxy/relay/relay-channels';

/** A live `/v1/ws` connection as every replica sees it. */
export interface RelayConnection {
  /** Connection id (`aistudio-…`). */
  id: string;
  /** The replica holding the socket (its RelayDirectory.instanceId). */
  owner: string;
  /** Display label (no secret). */
  label: string;
  connectedAt: number;
}

/** Tuning (tests shorten the timers). */
export interface RelayDirectoryOptions {
  /** Lifetime of a registration without a heartbeat. */
  ttlMs: number;
  /** Re-read the shared list this often (catches replicas that died without saying so). */
  pollMs: number;
}

export const DEFAULT_RELAY_DIRECTORY: RelayDirectoryOptions = {
  // Three missed 30 s heartbeats.
  ttlMs: 90_000,
  pollMs: 10_000,
};

/** Pub/sub channel: "the set of relay connections changed". */
export const RELAY_CHANGED_CHANNEL = 'ws-relay-changed';

/** Credential ids of relay connections: `ws:<connection id>`. */
const CREDENTIAL_PREFIX = 'ws:';

interface Snapshot {
  connections: ReadonlyMap<string, RelayConnection>;
  credentials: readonly Credential[];
  registry: ModelRegistry;
}

const EMPTY: Snapshot = {
  connections: new Map(),
  credentials: [],
  registry: ModelRegistry.empty(),
};

/** The routing credential of a relay connection (provider `aistudio`, its catalog's models). */
export function relayCredential(conn: RelayConnection): Credential {
  return new Credential({
    id: CREDENTIAL_PREFIX + conn.id,
    indexSeed: CREDENTIAL_PREFIX + conn.id,
    provider: 'aistudio',
    channel: 'aistudio',
    // As CLIProxyAPI: oauth-model-alias.aistudio and oauth-excluded-models.aistudio apply.
    kind: 'oauth',
    source: 'file',
    label: conn.label,
    secret: {},
  });
}

/** The connection id behind a relay credential, or undefined for any other credential. */
export function relayConnectionOf(credentialId: string): string | undefined {
  return credentialId.startsWith(CREDENTIAL_PREFIX)
    ? credentialId.slice(CREDENTIAL_PREFIX.length)
    : undefined;
}

/**
 * How the proxy calls a relay credential: the Gemini API wire format (the app calls Google's
 * endpoint with its own session), carried over the socket of connection `relay`.
 */
export function relayCandidate(rc: RouteCandidate): Candidate | undefined {
  const relay = relayConnectionOf(rc.credential.id);
  if (!relay) return undefined;
  return {
    credentialId: rc.credential.id,
    authIndex: rc.credential.authIndex,
    provider: 'gemini',
    label: rc.credential.label,
    upstreamModel: rc.upstreamModel,
    stateModel: rc.stateModel,
    headers: {},
    token: '',
    oauth: false,
    relay,
  };
}

/**
 * Which `/v1/ws` connections are live in the cluster, and the model registry they form.
 *
 * Each connection is a key with a TTL (`ws-relay:conn:<id>`, refreshed by the owner's heartbeat)
 * plus a member of the set `ws-relay:conns`; a change is announced on `ws-relay-changed`, and
 * every replica also re-reads the list every few seconds, so a replica that died without
 * unregistering drops out when its keys expire. Requests read an in-memory snapshot: no Redis
 * round trip on the request path.
 */
@Injectable()
export class RelayDirectory implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('WsRelay');
  /** This replica's identity in the relay (its private channel is named after it). */
  readonly instanceId = randomBytes(8).toString('hex');
  private snapshot: Snapshot = EMPTY;
  /** Connections held by this replica: always in the snapshot, even while Redis is down. */
  private readonly own = new Map<string, RelayConnection>();
  private poll: NodeJS.Timeout | undefined;
  private offChanged: (() => void) | undefined;
  private offConfig: (() => void) | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private lastReadError = 0;
  private readonly listeners = new Set<() => void>();
  options: RelayDirectoryOptions = DEFAULT_RELAY_DIRECTORY;

  constructor(
    private readonly redis: RedisService,
    private readonly config: ConfigService,
    private readonly channels: RelayChannels,
  ) {}

  onModuleInit(): void {
    this.offChanged = this.channels.listen(RELAY_CHANGED_CHANNEL, () => void this.reload());
    this.offConfig = this.config.onChange(() => this.rebuild(this.snapshot.connections));
    this.startPolling();
    void this.reload();
  }

  onApplicationShutdown(): void {
    if (this.poll) clearInterval(this.poll);
    this.offChanged?.();
    this.offConfig?.();
  }

  /** Re-read the shared list on this schedule from now on (tests). */
  configure(options: Partial<RelayDirectoryOptions>): void {
    this.options = { ...this.options, ...options };
    this.startPolling();
  }

  /** Models served by live relay connections (empty registry when there are none). */
  registry(): ModelRegistry {
    return this.snapshot.registry;
  }

  /** True when at least one relay connection is live. */
  get size(): number {
    return this.snapshot.connections.size;
  }

  /** The replica holding a connection, when it is live. */
  ownerOf(connectionId: string): string | undefined {
    return this.snapshot.connections.get(connectionId)?.owner;
  }

  /** Every live connection. */
  list(): RelayConnection[] {
    return [...this.snapshot.connections.values()];
  }

  /** Called after every change of the snapshot (the hub fails requests to vanished connections). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Register a connection this replica holds, and tell the others. */
  async register(conn: RelayConnection): Promise<void> {
    this.own.set(conn.id, conn);
    this.rebuild(new Map([...this.snapshot.connections, [conn.id, conn]]));
    await this.write(conn);
    await this.redis.publish(RELAY_CHANGED_CHANNEL, conn.id);
  }

  /** Refresh a registration's TTL (the owner's heartbeat). */
  async refresh(connectionId: string): Promise<void> {
    const conn = this.own.get(connectionId);
    if (conn) await this.write(conn);
  }

  /** Remove a connection this replica held, and tell the others. */
  async unregister(connectionId: string): Promise<void> {
    this.own.delete(connectionId);
    const next = new Map(this.snapshot.connections);
    next.delete(connectionId);
    this.rebuild(next);
    try {
      await this.redis.command
        .multi()
        .del(this.connKey(connectionId))
        .srem(this.setKey(), connectionId)
        .exec();
    } catch (err) {
      this.logger.warn(`cannot unregister relay ${connectionId}: ${(err as Error).message}`);
    }
    await this.redis.publish(RELAY_CHANGED_CHANNEL, connectionId);
  }

  /** Re-read the shared list now (concurrent calls collapse into one follow-up read). */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.readShared()
      .catch((err: unknown) => {
        // Polled every few seconds: while Redis is down, say so once a minute.
        const now = Date.now();
        if (now - this.lastReadError < 60_000) return;
        this.lastReadError = now;
        this.logger.warn(`cannot read relay connections: ${(err as Error).message}`);
      })
      .finally(() => {
        this.reloading = undefined;
        if (this.reloadAgain) {
          this.reloadAgain = false;
          void this.reload();
        }
      });
    return this.reloading;
  }

  private async readShared(): Promise<void> {
    const cmd = this.redis.command;
    const ids = await cmd.smembers(this.setKey());
    const next = new Map<string, RelayConnection>(this.own);
    if (ids.length > 0) {
      const values = await cmd.mget(...ids.map((id) => this.connKey(id)));
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const conn = parseConnection(values[i]);
        if (conn) next.set(conn.id, conn);
        else if (!this.own.has(id)) gone.push(id);
      });
      // Expired registrations of replicas that died: drop them from the set too.
      if (gone.length > 0) await cmd.srem(this.setKey(), ...gone);
    }
    this.rebuild(next);
  }

  private async write(conn: RelayConnection): Promise<void> {
    try {
      await this.redis.command
        .multi()
        .set(this.connKey(conn.id), JSON.stringify(conn), 'PX', this.options.ttlMs)
        .sadd(this.setKey(), conn.id)
        .exec();
    } catch (err) {
      this.logger.warn(`cannot register relay ${conn.id}: ${(err as Error).message}`);
    }
  }

  private rebuild(connections: ReadonlyMap<string, RelayConnection>): void {
    const prev = this.snapshot;
    if (connections.size === 0 && prev.connections.size === 0) return;
    const credentials = [...connections.values()]
      .sort((a, b) => a.connectedAt - b.connectedAt || (a.id < b.id ? -1 : 1))
      .map(relayCredential);
    this.snapshot = {
      connections,
      credentials,
      registry:
        credentials.length > 0
          ? ModelRegistry.build(credentials, this.config.current)
          : ModelRegistry.empty(),
    };
    for (const l of this.listeners) l();
  }

  private startPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = setInterval(() => void this.reload(), this.options.pollMs);
    this.poll.unref();
  }

  // The set and the registrations share a hash tag: one MULTI writes both, one MGET reads all.
  private connKey(id: string): string {
    return this.redis.key('ws-relay', hashTag('conns'), id);
  }

  private setKey(): string {
    return this.redis.key('ws-relay', hashTag('conns'));
  }
}

function parseConnection(raw: string | null): RelayConnection | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<RelayConnection>;
    if (typeof v.id !== 'string' || typeof v.owner !== 'string') return undefined;
    return {
      id: v.id,
      owner: v.owner,
      label: typeof v.label === 'string' ? v.label : v.id,
      connectedAt: typeof v.connectedAt === 'number' ? v.connectedAt : 0,
    };
  } catch {
    return undefined;
  }
}
