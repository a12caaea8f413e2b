import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { buildInfo } from '@app/common';
import { PROCESS_NAME, RedisService } from '@app/storage';
import {
  BROADCAST_CHANNEL,
  ackChannel,
  commandChannel,
  parseAck,
  parseCommand,
  type ClusterAck,
  type ClusterAction,
  type ClusterCommand,
} from '@app/cluster/cluster-command';
import { ClusterTokenService } from '@app/cluster/cluster-token.service';
import { redactEnv } from '@app/cluster/env-redact';
import {
  MEMBER_EXIT,
  MEMBER_SESSIONS,
  MemberControl,
  RESTART_EXIT_CODE,
  exitGracefully,
  type MemberExit,
  type SessionCounter,
} from '@app/cluster/member-control';
import type { HealthReport, MemberRecord, ReportedStatus } from '@app/cluster/member.types';
import { MembershipRepository } from '@app/cluster/membership.repository';
import { ensureNameFree } from '@app/cluster/name-claim';

/** Heartbeat timing. */
export interface MembershipOptions {
  /** How often a member refreshes its record. */
  heartbeatMs: number;
  /** Heartbeat key TTL: a member silent for this long is dead (crashed unless it said goodbye). */
  ttlMs: number;
  /** Longest wait for a member's own health checks. */
  healthTimeoutMs: number;
  /** Delay between answering a restart/shutdown command and leaving (the reply gets out first). */
  exitDelayMs: number;
  /**
   * At start, how long to watch a heartbeat under this process's name for a refresh before
   * concluding its holder is dead (a bit over one heartbeat period).
   */
  claimWatchMs: number;
  /** At start, how long to wait for Redis before joining without the name check. */
  claimReadyMs: number;
}

/** Injection token for `Partial<MembershipOptions>`. */
export const MEMBERSHIP_OPTIONS = 'SB_MEMBERSHIP_OPTIONS';

export const DEFAULT_MEMBERSHIP_OPTIONS: Readonly<MembershipOptions> = {
  heartbeatMs: 5000,
  ttlMs: 15_000,
  healthTimeoutMs: 2000,
  exitDelayMs: 100,
  claimWatchMs: 6500,
  claimReadyMs: 3000,
};

const LOG_EVERY_MS = 30_000;

/**
 * This process as a member of the cluster: registers in Redis, refreshes its heartbeat and
 * health every few seconds, carries out commands addressed to it (stop pauses, start resumes,
 * restart drains and exits for its supervisor to restart it, shutdown drains and exits), and
 * says goodbye on a graceful shutdown. Also sends commands to other members and waits for
 * their acknowledgement.
 */
@Injectable()
export class MembershipService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Cluster');
  private readonly opts: MembershipOptions;
  private readonly exit: MemberExit;
  private readonly startedAt = Date.now();
  /** This run of the process (heartbeats carry it, so a newcomer can tell them from its own). */
  readonly instance = randomUUID();
  /** Unhealthy reports in a row. */
  private failures = 0;
  private readonly cmd = process.argv.join(' ');
  private readonly restarts: number;
  private readonly env: Record<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  private readonly onRedisReady = () => void this.beat();
  private readonly pendingAcks = new Map<string, (ack: ClusterAck) => void>();
  private lastHealth: MemberRecord['healthcheck'];
  /** Set once a restart or shutdown command is being carried out. */
  private leaving: 'restart' | 'shutdown' | undefined;
  private beating: Promise<void> | undefined;
  private departed = false;
  private lastErrorLog = 0;

  constructor(
    private readonly repo: MembershipRepository,
    private readonly redis: RedisService,
    private readonly control: MemberControl,
    private readonly tokens: ClusterTokenService,
    @Inject(PROCESS_NAME) readonly name: string,
    @Optional() @Inject(MEMBERSHIP_OPTIONS) options?: Partial<MembershipOptions>,
    @Optional() @Inject(MEMBER_EXIT) exit?: MemberExit,
    @Optional() @Inject(MEMBER_SESSIONS) private readonly sessions?: SessionCounter,
  ) {
    this.opts = { ...DEFAULT_MEMBERSHIP_OPTIONS, ...options };
    this.exit = exit ?? exitGracefully;
    this.restarts = Math.max(0, Number(process.env.SB_RESTARTS) || 0);
    this.env = redactEnv(process.env);
  }

  /** The status this member reports now. */
  get status(): ReportedStatus {
    if (this.leaving || this.control.draining) return 'stopping';
    return this.control.paused ? 'stopped' : 'running';
  }

  /**
   * Join the cluster: refuse to start when a live member already holds this name, then listen
   * for commands and start the heartbeat.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.redis.waitReady(this.opts.claimReadyMs)) {
      await ensureNameFree(this.repo, {
        name: this.name,
        instance: this.instance,
        host: hostname(),
        pid: process.pid,
        watchMs: this.opts.claimWatchMs,
      });
    } else {
      this.logger.warn(
        `Redis is not reachable yet: joining as ${this.name} without checking that no other live member has that name`,
      );
    }
    const onCommand = (message: string) => {
      const cmd = parseCommand(message);
      if (cmd) void this.handle(cmd);
    };
    this.unsubscribe = [
      this.redis.subscribe(commandChannel(this.name), onCommand),
      this.redis.subscribe(BROADCAST_CHANNEL, onCommand),
      this.redis.subscribe(ackChannel(this.name), (message) => {
        const ack = parseAck(message);
        if (ack) this.pendingAcks.get(ack.id)?.(ack);
      }),
    ];
    this.timer = setInterval(() => void this.beat(), this.opts.heartbeatMs);
    this.timer.unref();
    // (Re)connected: register at once rather than at the next tick.
    this.redis.command.on('ready', this.onRedisReady);
    void this.beat();
    this.logger.debug(
      `${this.name} joined the cluster as a ${this.control.kind} (heartbeat every ${this.opts.heartbeatMs / 1000} s)`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.redis.command.off('ready', this.onRedisReady);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.beating;
    await this.depart();
  }

  /** Refresh this member's record and heartbeat now. */
  beat(): Promise<void> {
    this.beating ??= this.writeRecord().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /**
   * Carry out a command addressed to this member and return its ack. `restart` and `shutdown`
   * answer first and leave shortly after.
   */
  async apply(action: ClusterAction): Promise<ClusterAck> {
    const id = randomUUID();
    return this.execute({ id, action, target: this.name, from: this.name });
  }

  /**
   * Send a command to another member and wait for its ack (undefined when nobody listens on
   * its channel or it does not answer in time).
   */
  async send(
    target: string,
    action: ClusterAction,
    timeoutMs = 3000,
  ): Promise<ClusterAck | undefined> {
    const cmd: ClusterCommand = { id: randomUUID(), action, target, from: this.name };
    let settle: (ack: ClusterAck | undefined) => void = () => undefined;
    const acked = new Promise<ClusterAck | undefined>((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      settle = (ack) => {
        clearTimeout(timer);
        this.pendingAcks.delete(cmd.id);
        resolve(ack);
      };
    });
    this.pendingAcks.set(cmd.id, settle);
    const receivers = await this.redis.command
      .publish(this.redis.key('ch', commandChannel(target)), JSON.stringify(cmd))
      .catch(() => 0);
    // Nobody subscribed: the member is gone even if its heartbeat has not lapsed yet (a Redis
    // Cluster cannot tell: then the ack's deadline decides).
    if (receivers === 0 && this.redis.receiversCounted) settle(undefined);
    return acked;
  }

  /** Tell every member (this one included) to shut down gracefully. */
  async broadcastShutdown(): Promise<void> {
    const cmd: ClusterCommand = {
      id: randomUUID(),
      action: 'shutdown',
      target: '*',
      from: this.name,
    };
    await this.redis.command.publish(this.redis.key('ch', BROADCAST_CHANNEL), JSON.stringify(cmd));
  }

  private async handle(cmd: ClusterCommand): Promise<void> {
    if (cmd.target !== this.name && cmd.target !== '*') return;
    const ack = await this.execute(cmd);
    if (cmd.target === '*' || cmd.from === this.name) return;
    await this.redis.publish(ackChannel(cmd.from), JSON.stringify(ack));
  }

  private async execute(cmd: ClusterCommand): Promise<ClusterAck> {
    const ack = (ok: boolean, message?: string): ClusterAck => ({
      id: cmd.id,
      from: this.name,
      ok,
      status: this.status,
      message,
    });
    try {
      switch (cmd.action) {
        case 'stop':
          if (!this.control.paused) await this.control.pause();
          this.logger.warn(`stopped by the cluster API (asked by ${cmd.from})`);
          break;
        case 'start':
          if (this.control.paused) await this.control.resume();
          this.logger.log(`started by the cluster API (asked by ${cmd.from})`);
          break;
        case 'restart':
        case 'shutdown':
          if (this.leaving) break;
          this.leaving = cmd.action;
          this.logger.warn(`${cmd.action} asked by ${cmd.from}: draining, then exiting`);
          setTimeout(
            () => this.exit(cmd.action === 'restart' ? RESTART_EXIT_CODE : 0),
            this.opts.exitDelayMs,
          ).unref();
          break;
      }
      await this.beat();
      return ack(true);
    } catch (err) {
      this.logger.error(`${cmd.action} failed: ${(err as Error).message}`);
      return ack(false, (err as Error).message);
    }
  }

  private async writeRecord(): Promise<void> {
    // Not connected yet (or down): the 'ready' event brings the next beat.
    if (this.departed || !this.redis.isReady) return;
    try {
      const health = await this.checkHealth();
      this.lastHealth = { ...health, checked_at: new Date().toISOString() };
      this.failures = health.status === 'healthy' ? 0 : this.failures + 1;
      const sessions = await this.countSessions();
      const now = Date.now();
      await this.repo.save(
        this.record(now, sessions),
        this.opts.ttlMs,
        this.tokens.hash,
        this.instance,
      );
    } catch (err) {
      const now = Date.now();
      if (now - this.lastErrorLog > LOG_EVERY_MS) {
        this.lastErrorLog = now;
        this.logger.warn(`heartbeat not written: ${(err as Error).message}`);
      }
    }
  }

  private async countSessions(): Promise<number> {
    try {
      return Math.max(0, (await this.sessions?.()) ?? 0);
    } catch {
      return 0;
    }
  }

  private record(now: number, sessions: number): MemberRecord {
    return {
      name: this.name,
      kind: this.control.kind,
      pid: process.pid,
      host: hostname(),
      version: buildInfo().version,
      started: this.startedAt,
      restarts: this.restarts,
      status: this.status,
      health: this.lastHealth?.status ?? 'unhealthy',
      healthcheck: this.lastHealth,
      env: this.env,
      updated: now,
      sessions,
      failures: this.failures,
      cmd: this.cmd,
    };
  }

  private async checkHealth(): Promise<HealthReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthReport>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'unhealthy',
            checks: { timeout: { ok: false, detail: 'health checks did not finish in time' } },
          }),
        this.opts.healthTimeoutMs,
      );
    });
    try {
      return await Promise.race([
        this.control.health().catch((err: unknown): HealthReport => ({
          status: 'unhealthy',
          checks: { error: { ok: false, detail: (err as Error).message } },
        })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async depart(): Promise<void> {
    if (this.departed) return;
    this.departed = true;
    try {
      // A restarting member keeps its heartbeat until it lapses: it shows `starting` while its
      // supervisor brings it back, and `crashed` if that never happens.
      await this.repo.depart(
        this.name,
        this.leaving === 'restart' ? 'starting' : 'stopped',
        Date.now(),
        this.leaving === 'restart',
      );
    } catch (err) {
      this.logger.warn(`could not leave the cluster cleanly: ${(err as Error).message}`);
    }
  }
}
