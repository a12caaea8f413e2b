import { Body, Controller, Delete, Get, Patch, Put } from '@nestjs/common';
import { ConfigService, type AppConfig } from '@app/config';
import {
  ManagementRoute,
  ConfigRoutesService,
  ok,
  readDeleteKeys,
  readModelMappings,
  readUpstreamKeys,
  removeBy,
  upsertBy,
  valueOrThrow,
} from '@app/management';

const OK = { status: 'ok' } as const;
type Ok = typeof OK;
type Amp = AppConfig['ampcode'];

const MAPPINGS = ['ampcode', 'model-mappings'];
const UPSTREAM_KEYS = ['ampcode', 'upstream-api-keys'];

/**
 * `/v0/management/ampcode` and its lists (the Amp CLI integration). The ampcode scalars
 * (upstream-url, upstream-api-key, the two switches) are table rows of ConfigScalarsController.
 * Bodies are CLIProxyAPI's: `{"value": […]}` for PUT and PATCH (upsert by key), and the keys to
 * remove in `{"value": ["…"]}` for DELETE (`[]` removes every entry).
 */
@Controller('v0/management/ampcode')
@ManagementRoute()
export class AmpcodeController {
  constructor(
    private readonly config: ConfigService,
    private readonly routes: ConfigRoutesService,
  ) {}

  /** The whole ampcode section. */
  @Get()
  ampcode(): { ampcode: Amp } {
    return { ampcode: this.config.current.ampcode };
  }

  @Get('model-mappings')
  mappings(): { 'model-mappings': Amp['model-mappings'] } {
    return { 'model-mappings': this.config.current.ampcode['model-mappings'] };
  }

  @Put('model-mappings')
  async putMappings(@Body() body: unknown): Promise<Ok> {
    await this.routes.set(MAPPINGS, valueOrThrow(readModelMappings(body)));
    return OK;
  }

  /** Add mappings, replacing those with the same `from`. */
  @Patch('model-mappings')
  async patchMappings(@Body() body: unknown): Promise<Ok> {
    const items = valueOrThrow(readModelMappings(body));
    await this.routes.update(MAPPINGS, (current) => ok(upsertBy(current, items, 'from')));
    return OK;
  }

  /** Remove the mappings whose `from` is listed. */
  @Delete('model-mappings')
  async deleteMappings(@Body() body: unknown): Promise<Ok> {
    const keys = valueOrThrow(readDeleteKeys(body, 'from'));
    await this.routes.update(MAPPINGS, (current) =>
      ok(keys.size === 0 ? [] : removeBy(current, keys, 'from')),
    );
    return OK;
  }

  @Get('upstream-api-keys')
  upstreamKeys(): { 'upstream-api-keys': Amp['upstream-api-keys'] } {
    return { 'upstream-api-keys': this.config.current.ampcode['upstream-api-keys'] };
  }

  @Put('upstream-api-keys')
  async putUpstreamKeys(@Body() body: unknown): Promise<Ok> {
    await this.routes.set(UPSTREAM_KEYS, valueOrThrow(readUpstreamKeys(body)));
    return OK;
  }

  /** Add entries, replacing those with the same `upstream-api-key`. */
  @Patch('upstream-api-keys')
  async patchUpstreamKeys(@Body() body: unknown): Promise<Ok> {
    const items = valueOrThrow(readUpstreamKeys(body));
    await this.routes.update(UPSTREAM_KEYS, (current) =>
      ok(upsertBy(current, items, 'upstream-api-key')),
    );
    return OK;
  }

  /** Remove the entries whose `upstream-api-key` is listed. */
  @Delete('upstream-api-keys')
  async deleteUpstreamKeys(@Body() body: unknown): Promise<Ok> {
    const keys = valueOrThrow(readDeleteKeys(body, 'upstream-api-key'));
    await this.routes.update(UPSTREAM_KEYS, (current) =>
      ok(keys.size === 0 ? [] : removeBy(current, keys, 'upstream-api-key')),
    );
    return OK;
  }
}
