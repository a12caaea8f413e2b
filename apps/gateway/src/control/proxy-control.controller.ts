import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { buildInfo, controlError } from '@app/common';
import { ConfigService } from '@app/config';
import {
  groupModels,
  isNewer,
  ReleaseFeedError,
  ReleaseFeedService,
  type ModelGroups,
} from '@app/management';
import { PauseService } from '@app/proxy';
import { CredentialService, type ModelListEntry } from '@app/routing';
import { ControlRoute } from '@app/gateway/control/control.decorators';
import { ProxyPauseService } from '@app/gateway/control/proxy-pause.service';
import { SessionCountService } from '@app/gateway/control/session-count.service';

/** `GET /api/cliproxy/proxy-status`. */
export interface ProxyStatus {
  running: boolean;
  port: number;
  pid: number;
  /** Open client sessions (streams) across the cluster. */
  sessionCount: number;
  /** ISO time proxy traffic last started (boot or resume). */
  startedAt: string;
  /** ISO time it was paused, while paused. */
  stoppedAt?: string;
}

/** `GET /api/cliproxy/update-check`. */
export interface UpdateCheck {
  hasUpdate: boolean;
  currentVersion: string;
  /** Null when the release feed could not be read. */
  latestVersion: string | null;
  fromCache: boolean;
  /** ISO time of the feed read the answer is based on. */
  checkedAt: string;
  /** Why the feed could not be read. */
  error?: string;
}

/**
 * The dashboard's view of the proxy service: status, cluster-wide pause and resume, update
 * check and the model list.
 */
@Controller('api/cliproxy')
@ControlRoute()
export class ProxyControlController {
  constructor(
    private readonly pause: ProxyPauseService,
    private readonly sessions: SessionCountService,
    private readonly feed: ReleaseFeedService,
    private readonly credentials: CredentialService,
    private readonly paused: PauseService,
    private readonly config: ConfigService,
    private readonly adapter: HttpAdapterHost,
  ) {}

  /** The port this replica listens on (config `port` before it listens). */
  private port(): number {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    const addr = server?.address();
    if (typeof addr === 'object' && addr !== null) return addr.port;
    return this.config.current.port;
  }

  @Get('proxy-status')
  async status(): Promise<ProxyStatus> {
    const out: ProxyStatus = {
      running: !this.pause.paused,
      port: this.port(),
      pid: process.pid,
      sessionCount: await this.sessions.cluster(),
      startedAt: new Date(this.pause.startedAt).toISOString(),
    };
    const stopped = this.pause.pausedAt;
    if (stopped !== undefined) out.stoppedAt = new Date(stopped).toISOString();
    return out;
  }

  /** Resume proxy traffic on every replica. */
  @Post('proxy-start')
  @HttpCode(200)
  async start(): Promise<{ started: true; alreadyRunning: boolean; port: number }> {
    const alreadyRunning = !this.pause.paused;
    if (!alreadyRunning) await this.pause.resume();
    return { started: true, alreadyRunning, port: this.port() };
  }

  /** Pause proxy traffic on every replica (open streams finish; new requests get 503). */
  @Post('proxy-stop')
  @HttpCode(200)
  async stop(): Promise<{ stopped: true; alreadyStopped: boolean; sessionCount: number }> {
    const alreadyStopped = this.pause.paused;
    if (!alreadyStopped) await this.pause.pause();
    return { stopped: true, alreadyStopped, sessionCount: await this.sessions.cluster() };
  }

  /** Whether `release-feed-url` names a newer release than this build (cached 1 h). */
  @Get('update-check')
  async updateCheck(): Promise<UpdateCheck> {
    const currentVersion = buildInfo().version;
    try {
      const r = await this.feed.latest();
      return {
        hasUpdate: isNewer(r.version, currentVersion),
        currentVersion,
        latestVersion: r.version,
        fromCache: r.fromCache,
        checkedAt: new Date(r.checkedAt).toISOString(),
      };
    } catch (err) {
      if (!(err instanceof ReleaseFeedError)) throw err;
      return {
        hasUpdate: false,
        currentVersion,
        latestVersion: null,
        fromCache: false,
        checkedAt: new Date().toISOString(),
        error: err.message,
      };
    }
  }

  /** What `/v1/models` serves, grouped by `owned_by`; 503 while paused or without credentials. */
  @Get('models')
  models(): ModelGroups<ModelListEntry> {
    if (this.paused.paused) {
      throw controlError(
        503,
        'Proxy paused',
        'proxy traffic is paused; POST /api/cliproxy/proxy-start resumes it',
        {},
        { 'retry-after': '30' },
      );
    }
    if (!this.credentials.snapshot().credentials.some((c) => !c.disabled)) {
      throw controlError(
        503,
        'No credentials',
        'no enabled upstream credential: add API keys to config.yaml or upload auth files (POST /v0/management/auth-files)',
      );
    }
    return groupModels(this.credentials.listModels());
  }
}
