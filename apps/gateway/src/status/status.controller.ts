import { Controller, Get, HttpCode, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientKeyTable, ConfigService, expiredAt } from '@app/config';
import {
  acceptsClientKey,
  AppError,
  buildInfo,
  extractClientKey,
  formatUptime,
  keyId,
  renderPlainError,
} from '@app/common';
import { PauseService } from '@app/proxy';
import { ConfigStoreService, RedisService } from '@app/storage';
import { PeerService } from '@app/gateway/http/peer.service';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { ProviderSummaryService } from '@app/gateway/status/provider-summary.service';

/** Root, liveness and status surfaces (docs/proxy.md, and `GET /status` in the README). */
@Controller()
export class StatusController {
  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    private readonly peer: PeerService,
    private readonly lifecycle: LifecycleService,
    private readonly providers: ProviderSummaryService,
    private readonly pause: PauseService,
    private readonly store: ConfigStoreService,
  ) {}

  /** Service info and endpoint hints. */
  @Get()
  root(): Record<string, unknown> {
    return {
      service: 'switchboard',
      message: 'Switchboard LLM API gateway',
      version: buildInfo().version,
      endpoints: {
        openai: [
          'POST /v1/chat/completions',
          'POST /v1/completions',
          'POST /v1/responses',
          'GET /v1/models',
        ],
        claude: ['POST /v1/messages', 'POST /v1/messages/count_tokens'],
        gemini: ['GET /v1beta/models', 'POST /v1beta/models/{model}:generateContent'],
        status: 'GET /status',
        metrics: 'GET /metrics',
        management: '/v0/management/*',
        control: '/api/cliproxy/*',
        cluster: '/api/v1/*',
      },
    };
  }

  @Get('keep-alive')
  keepAlive(): { status: string } {
    return { status: 'ok' };
  }

  /** Liveness: the process answers (Redis is not consulted; see /readyz for readiness). */
  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /**
   * Readiness for orchestrators and load balancers, open to anyone and without details: 200
   * while this replica can serve (Redis reachable, config loaded — with the Redis config store,
   * applied from the store at least once — and not draining), 503 otherwise.
   */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const ready = !this.lifecycle.draining && this.store.ready && (await this.redis.ping());
    await reply
      .status(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'unavailable' });
  }

  @Get('status')
  @HttpCode(200)
  async status(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const cfg = this.config.current;
    const keys = cfg['api-keys'];
    if (!this.peer.isLocal(req) && keys.length > 0) {
      const key = extractClientKey(req, false);
      // An expired key (api-key-info) is no key here either; the seed's body stays as it is.
      if (!key || !acceptsClientKey(key, keys) || expiredAt(clientKeyTable(cfg), keyId(key))) {
        const e = AppError.of('AUTH_INVALID_KEY');
        await reply.status(401).send(renderPlainError(e));
        return;
      }
    }
    if (this.lifecycle.draining) {
      await reply.status(503).send(renderPlainError(AppError.of('SHUTTING_DOWN')));
      return;
    }
    if (!(await this.redis.ping())) {
      const e = AppError.of('SERVICE_UNAVAILABLE', {
        reason: 'Redis is unreachable; proxy traffic is served from the last known state',
      });
      await reply.status(503).send(renderPlainError(e));
      return;
    }
    const build = buildInfo();
    await reply.send({
      service: 'switchboard',
      version: build.version,
      // "stopped" while proxy traffic is paused (cluster-wide, or this replica by the cluster API)
      status: this.pause.paused ? 'stopped' : 'running',
      uptime: formatUptime(this.lifecycle.uptimeSeconds()),
      pid: process.pid,
      // the bind address, as the gateway listens (main.ts: config host, else every interface)
      host: cfg.host || '0.0.0.0',
      port: cfg.port,
      api_key_configured: keys.length > 0,
      providers: this.providers.summary(),
      build,
    });
  }
}
