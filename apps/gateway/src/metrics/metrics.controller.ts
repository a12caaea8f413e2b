import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { RedisService } from '@app/storage';

/** Prometheus scrape endpoint. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly redis: RedisService,
    private readonly config: ConfigService,
  ) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    // `metrics.enabled: false` hides the endpoint (hot-reloaded); the metrics still accumulate.
    if (!this.config.current.metrics.enabled) {
      await reply.status(404).send({ error: 'metrics are disabled (metrics.enabled: false)' });
      return;
    }
    this.metrics.redisUp.set(this.redis.isReady ? 1 : 0);
    const { contentType, body } = await this.metrics.render();
    await reply.header('content-type', contentType).send(body);
  }
}
