import { Controller } from '@nestjs/common';
import { ConfigService } from '@app/config';
import {
  ManagementRoute,
  ConfigRoutesService,
  readScalarValue,
  responseKeyOf,
  SCALAR_ROUTES,
  scalarValue,
  yamlPathOf,
  type ScalarRoute,
} from '@app/management';
import { addRoute } from '@app/gateway/management/generated-routes';

const OK = { status: 'ok' } as const;

/**
 * The scalar settings of `/v0/management/*` (debug, request-retry, routing/strategy, proxy-url,
 * the ampcode switches…): one GET/PUT/PATCH (and DELETE) per row of SCALAR_ROUTES, generated
 * below.
 */
@Controller('v0/management')
@ManagementRoute()
export class ConfigScalarsController {
  constructor(
    private readonly config: ConfigService,
    private readonly routes: ConfigRoutesService,
  ) {}

  /** `{"<last segment>": value}` from the config in force. */
  read(r: ScalarRoute): Record<string, unknown> {
    return { [responseKeyOf(r)]: scalarValue(this.config.current, r) };
  }

  /** Persist `{"value": …}`; every replica reloads it. */
  async write(r: ScalarRoute, body: unknown): Promise<typeof OK> {
    await this.routes.set(yamlPathOf(r), readScalarValue(r, body));
    return OK;
  }

  /** Empty a string setting (DELETE). */
  async clear(r: ScalarRoute): Promise<typeof OK> {
    await this.routes.set(yamlPathOf(r), '');
    return OK;
  }
}

for (const r of SCALAR_ROUTES) {
  addRoute(ConfigScalarsController, 'GET', r.route, function () {
    return this.read(r);
  });
  addRoute(ConfigScalarsController, 'PUT', r.route, function ({ body }) {
    return this.write(r, body);
  });
  addRoute(ConfigScalarsController, 'PATCH', r.route, function ({ body }) {
    return this.write(r, body);
  });
  if (r.deletable) {
    addRoute(ConfigScalarsController, 'DELETE', r.route, function () {
      return this.clear(r);
    });
  }
}
