import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from '@app/metrics';
import { RedisService } from '@app/storage';

/** Prometheus scrape endpoint. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly redis: RedisService,
  ) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    this.metrics.redisUp.set(this.redis.isReady ? 1 : 0);
    const { contentType, body } = await this.metrics.render();
    await reply.header('content-type', contentType).send(body);
  }
}
