import { Body, Controller, Get, Patch, Put } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { ConfigEditService, ManagementError, ManagementRoute, readValue } from '@app/management';

const KEY = 'usage-statistics-enabled';

/** `/v0/management/usage-statistics-enabled`: GET, and PUT/PATCH `{"value": bool}`. */
@Controller(`v0/management/${KEY}`)
@ManagementRoute()
export class UsageStatisticsController {
  constructor(
    private readonly config: ConfigService,
    private readonly edit: ConfigEditService,
  ) {}

  @Get()
  get(): Record<typeof KEY, boolean> {
    return { [KEY]: this.config.current[KEY] };
  }

  @Put()
  put(@Body() body: unknown): Promise<{ status: 'ok' }> {
    return this.set(body);
  }

  @Patch()
  patch(@Body() body: unknown): Promise<{ status: 'ok' }> {
    return this.set(body);
  }

  /** Persist to config.yaml; the reload it triggers is announced to every replica. */
  private async set(body: unknown): Promise<{ status: 'ok' }> {
    const result = await this.edit.set([KEY], readValue(body, 'boolean'));
    if (!result.ok) throw new ManagementError(result.status, result.error);
    return { status: 'ok' };
  }
}
