import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { managementError } from '@app/common';
import { ManagementRoute, isEntry } from '@app/management';
import { CredentialProbe, ProbeRefusedError, type ProbeResult } from '@app/proxy';
import {
  isTrafficRange,
  TRAFFIC_RANGES,
  TrafficService,
  TrafficUnavailableError,
  type TrafficSummary,
} from '@app/usage';
import { AttentionService, type AttentionReport } from '@app/gateway/panel/attention.service';
import { providersAnswer, type ProvidersAnswer } from '@app/gateway/panel/provider-view';

/**
 * The panel's own management routes (Switchboard extensions, docs/panel.md): the traffic summary
 * of a time range (instead of downloading every usage detail), the "needs attention" list,
 * "test this account", and the provider registry its lists come from.
 */
@Controller('v0/management')
@ManagementRoute()
export class PanelApiController {
  constructor(
    private readonly traffic: TrafficService,
    private readonly attention: AttentionService,
    private readonly probe: CredentialProbe,
  ) {}

  /** `?range=1h|24h|7d|30d` (default 24h): series, totals and top keys and models. */
  @Get('traffic')
  async summary(@Query('range') range: unknown): Promise<TrafficSummary> {
    const r = range === undefined || range === '' ? '24h' : range;
    if (!isTrafficRange(r)) {
      throw managementError(400, `range: expected one of ${TRAFFIC_RANGES.join(', ')}`);
    }
    try {
      return await this.traffic.summary(r);
    } catch (err) {
      if (err instanceof TrafficUnavailableError) throw managementError(503, err.message);
      throw err;
    }
  }

  /** What needs an operator: outages, credentials in trouble, unserved models, spikes. */
  @Get('attention')
  report(): Promise<AttentionReport> {
    return this.attention.report();
  }

  /** The providers this gateway knows: logins, config-key lists, quota routes. */
  @Get('providers')
  providers(): ProvidersAnswer {
    return providersAnswer();
  }

  /** `{"auth_index": "…", "model"?: "…"}`: one tiny request through that credential. */
  @Post('credentials/test')
  @HttpCode(200)
  async test(@Body() body: unknown): Promise<ProbeResult> {
    if (!isEntry(body) || typeof body.auth_index !== 'string' || !body.auth_index.trim()) {
      throw managementError(400, 'auth_index: name the credential to test');
    }
    const model =
      typeof body.model === 'string' && body.model.trim() ? body.model.trim() : undefined;
    try {
      return await this.probe.test(body.auth_index.trim(), model);
    } catch (err) {
      if (err instanceof ProbeRefusedError) throw managementError(err.status, err.message);
      throw err;
    }
  }
}
