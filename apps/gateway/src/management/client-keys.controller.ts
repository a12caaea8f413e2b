import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ManagementRoute,
  ClientKeysService,
  type ClientKeyList,
  type ClientKeyView,
} from '@app/management';

const OK = { status: 'ok' } as const;

/**
 * `/v0/management/client-keys` (Switchboard extension): the client keys of `api-keys` with their
 * label, owner, dates, note (`api-key-info`) and traffic; create, edit and remove them.
 */
@Controller('v0/management/client-keys')
@ManagementRoute()
export class ClientKeysController {
  constructor(private readonly keys: ClientKeysService) {}

  @Get()
  list(): Promise<ClientKeyList> {
    return this.keys.list();
  }

  /** `{key?, label?, owner?, expires?, note?}`: a key is generated when none is sent. */
  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<ClientKeyView> {
    return this.keys.create(body);
  }

  /** `{key_id, label?, owner?, expires?, note?}`; `null` or `""` clears a field. */
  @Patch()
  async update(@Body() body: unknown): Promise<typeof OK> {
    await this.keys.update(body);
    return OK;
  }

  /** `?key_id=…`: the key leaves api-keys and its info goes with it. */
  @Delete()
  async remove(@Query() query: Record<string, unknown>): Promise<typeof OK> {
    await this.keys.remove(query);
    return OK;
  }
}
