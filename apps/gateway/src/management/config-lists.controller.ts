import { Body, Controller, Delete, Get, Patch, Put, Query } from '@nestjs/common';
import { ConfigService } from '@app/config';
import {
  ManagementRoute,
  compatListView,
  ConfigRoutesService,
  deleteExcludedModels,
  deleteFromCompatList,
  deleteFromKeyList,
  deleteFromStringList,
  deleteModelAliases,
  KEY_LIST_SECTIONS,
  keyListView,
  normalizeExcludedModels,
  normalizeModelAliases,
  patchCompatList,
  patchExcludedModels,
  patchKeyList,
  patchModelAliases,
  patchStringList,
  readCompatList,
  readExcludedModels,
  readKeyList,
  readListBody,
  readModelAliases,
  readStringList,
  valueOrThrow,
  type Entry,
  type KeyListSection,
  type ModelAlias,
} from '@app/management';
import { addRoute } from '@app/gateway/management/generated-routes';

const OK = { status: 'ok' } as const;
type Ok = typeof OK;
type QueryParams = Record<string, unknown>;

/**
 * The list settings of `/v0/management/*`: api-keys, the provider key lists (generated below for
 * each of KEY_LIST_SECTIONS), openai-compatibility, oauth-excluded-models and
 * oauth-model-alias. Lists come back in the clear to the authenticated manager, as in
 * CLIProxyAPI (GET /config masks them).
 */
@Controller('v0/management')
@ManagementRoute()
export class ConfigListsController {
  constructor(
    private readonly config: ConfigService,
    private readonly routes: ConfigRoutesService,
  ) {}

  // ---- api-keys (client keys of the proxy) ----

  @Get('api-keys')
  apiKeys(): { 'api-keys': readonly string[] } {
    return { 'api-keys': this.config.current['api-keys'] };
  }

  /** Replace the list: `[…]` or `{"items": […]}`. */
  @Put('api-keys')
  async putApiKeys(@Body() body: unknown): Promise<Ok> {
    const keys = valueOrThrow(readStringList(valueOrThrow(readListBody(body)), 'api-keys'));
    await this.routes.set(['api-keys'], keys);
    return OK;
  }

  /** `{"old", "new"}` (appends `new` when `old` is absent) or `{"index", "value"}`. */
  @Patch('api-keys')
  async patchApiKeys(@Body() body: unknown): Promise<Ok> {
    await this.routes.update(['api-keys'], (current) => patchStringList(current, body));
    return OK;
  }

  /** `?index=n` or `?value=…`. */
  @Delete('api-keys')
  async deleteApiKeys(@Query() query: QueryParams): Promise<Ok> {
    await this.routes.update(['api-keys'], (current) => deleteFromStringList(current, query));
    return OK;
  }

  // ---- gemini/claude/codex/vertex-api-key (routes generated below) ----

  /** The entries of a key list, each with its credential's `auth-index`. */
  keyList(section: KeyListSection): Record<string, Entry[]> {
    return { [section]: keyListView(this.config.current, section) };
  }

  /** Replace a key list. */
  async putKeyList(section: KeyListSection, body: unknown): Promise<Ok> {
    await this.routes.set([section], valueOrThrow(readKeyList(body, section)));
    return OK;
  }

  /** Partial update of one entry (`index` or `match`); `"api-key": ""` removes it. */
  async patchKeyList(section: KeyListSection, body: unknown, query: QueryParams): Promise<Ok> {
    await this.routes.update([section], (current) => patchKeyList(current, body, query));
    return OK;
  }

  /** Remove one entry (`?api-key=[&base-url=]` or `?index=`). */
  async deleteKeyList(section: KeyListSection, query: QueryParams): Promise<Ok> {
    await this.routes.update([section], (current) => deleteFromKeyList(current, query));
    return OK;
  }

  // ---- openai-compatibility ----

  @Get('openai-compatibility')
  compat(): { 'openai-compatibility': Entry[] } {
    return { 'openai-compatibility': compatListView(this.config.current) };
  }

  @Put('openai-compatibility')
  async putCompat(@Body() body: unknown): Promise<Ok> {
    await this.routes.set(['openai-compatibility'], valueOrThrow(readCompatList(body)));
    return OK;
  }

  /** `{"name" | "index", "value": {…}}`; `"base-url": ""` removes the entry. */
  @Patch('openai-compatibility')
  async patchCompat(@Body() body: unknown): Promise<Ok> {
    await this.routes.update(['openai-compatibility'], (current) => patchCompatList(current, body));
    return OK;
  }

  /** `?name=…` or `?index=n`. */
  @Delete('openai-compatibility')
  async deleteCompat(@Query() query: QueryParams): Promise<Ok> {
    await this.routes.update(['openai-compatibility'], (current) =>
      deleteFromCompatList(current, query),
    );
    return OK;
  }

  // ---- oauth-excluded-models ----

  @Get('oauth-excluded-models')
  excludedModels(): { 'oauth-excluded-models': Record<string, string[]> } {
    const map = normalizeExcludedModels(this.config.current['oauth-excluded-models'], true);
    return { 'oauth-excluded-models': valueOrThrow(map) };
  }

  /** Replace the map: `{"<channel>": […]}` or `{"items": {…}}`. */
  @Put('oauth-excluded-models')
  async putExcludedModels(@Body() body: unknown): Promise<Ok> {
    await this.routes.set(['oauth-excluded-models'], valueOrThrow(readExcludedModels(body)));
    return OK;
  }

  /** `{"provider", "models"}`; an empty list removes the provider. */
  @Patch('oauth-excluded-models')
  async patchExcludedModels(@Body() body: unknown): Promise<Ok> {
    await this.routes.update(['oauth-excluded-models'], (current) =>
      patchExcludedModels(current, body),
    );
    return OK;
  }

  /** `?provider=…`. */
  @Delete('oauth-excluded-models')
  async deleteExcludedModels(@Query() query: QueryParams): Promise<Ok> {
    await this.routes.update(['oauth-excluded-models'], (current) =>
      deleteExcludedModels(current, query),
    );
    return OK;
  }

  // ---- oauth-model-alias ----

  @Get('oauth-model-alias')
  modelAliases(): { 'oauth-model-alias': Record<string, ModelAlias[]> } {
    const map = normalizeModelAliases(this.config.current['oauth-model-alias'], true);
    return { 'oauth-model-alias': valueOrThrow(map) };
  }

  /** Replace the map: `{"<channel>": [{name, alias, fork}]}` or `{"items": {…}}`. */
  @Put('oauth-model-alias')
  async putModelAliases(@Body() body: unknown): Promise<Ok> {
    await this.routes.set(['oauth-model-alias'], valueOrThrow(readModelAliases(body)));
    return OK;
  }

  /** `{"channel" | "provider", "aliases"}`; an empty list removes the channel. */
  @Patch('oauth-model-alias')
  async patchModelAliases(@Body() body: unknown): Promise<Ok> {
    await this.routes.update(['oauth-model-alias'], (current) => patchModelAliases(current, body));
    return OK;
  }

  /** `?channel=…` (or `?provider=…`). */
  @Delete('oauth-model-alias')
  async deleteModelAliases(@Query() query: QueryParams): Promise<Ok> {
    await this.routes.update(['oauth-model-alias'], (current) =>
      deleteModelAliases(current, query),
    );
    return OK;
  }
}

for (const section of KEY_LIST_SECTIONS) {
  addRoute(ConfigListsController, 'GET', section, function () {
    return this.keyList(section);
  });
  addRoute(ConfigListsController, 'PUT', section, function ({ body }) {
    return this.putKeyList(section, body);
  });
  addRoute(ConfigListsController, 'PATCH', section, function ({ body, query }) {
    return this.patchKeyList(section, body, query);
  });
  addRoute(ConfigListsController, 'DELETE', section, function ({ query }) {
    return this.deleteKeyList(section, query);
  });
}
