import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { keyId, managementError, maskKey } from '@app/common';
import { clientKeyTable, ConfigService } from '@app/config';
import { ManagementRoute } from '@app/management';
import {
  parseImportPayload,
  parseUsageQuery,
  UsageService,
  type UsageExport,
  type UsageFilter,
  type UsageImportResult,
  type UsageSnapshot,
} from '@app/usage';

function filterOf(query: unknown): UsageFilter {
  const parsed = parseUsageQuery(query);
  if (!parsed.ok) throw managementError(400, parsed.error);
  return parsed.filter;
}

/** Masked key (as `apis` names it) → its key id, label and owner. */
type KeyLabels = Record<string, { key_id: string; label: string; owner: string }>;

/** `/v0/management/usage` (+ `/export`, `/import`): the shared usage statistics. */
@Controller('v0/management/usage')
@ManagementRoute()
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly config: ConfigService,
  ) {}

  /** The snapshot, narrowed by `from`/`to`, `api` and `model` when given. */
  @Get()
  async snapshot(
    @Query() query: unknown,
  ): Promise<{ usage: UsageSnapshot; failed_requests: number }> {
    const usage = await this.usage.snapshot(filterOf(query));
    return { usage, failed_requests: usage.failure_count };
  }

  /** The snapshot wrapped for backup or migration (version 1). */
  @Get('export')
  async exportUsage(@Query() query: unknown): Promise<UsageExport & { key_labels: KeyLabels }> {
    const out = await this.usage.exportUsage(filterOf(query));
    // Who each masked key of `apis` is (api-key-info); an import ignores the field.
    return { ...out, key_labels: this.keyLabels() };
  }

  private keyLabels(): KeyLabels {
    const cfg = this.config.current;
    const table = clientKeyTable(cfg);
    const out: KeyLabels = {};
    for (const key of cfg['api-keys']) {
      const id = keyId(key);
      const info = table.byKeyId.get(id);
      out[maskKey(key)] = { key_id: id, label: info?.label ?? '', owner: info?.owner ?? '' };
    }
    return out;
  }

  /** Merge an export (version 0 or 1), skipping records already present. */
  @Post('import')
  @HttpCode(200)
  async importUsage(@Body() body: unknown): Promise<UsageImportResult> {
    const parsed = parseImportPayload(body);
    if (!parsed.ok) throw managementError(400, parsed.error);
    return this.usage.importUsage(parsed.entries);
  }
}
