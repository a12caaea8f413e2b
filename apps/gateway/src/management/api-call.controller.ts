import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ManagementRoute, ApiCallService, type ApiCallResult } from '@app/management';

/**
 * `POST /v0/management/api-call` `{auth_index, method, url, header, data}`: an HTTP request made
 * with a credential's token (`$TOKEN$`) and proxy; answers `{status_code, header, body}`.
 */
@Controller('v0/management/api-call')
@ManagementRoute()
export class ApiCallController {
  constructor(private readonly api: ApiCallService) {}

  @Post()
  @HttpCode(200)
  call(@Body() body: unknown): Promise<ApiCallResult> {
    return this.api.call(body);
  }
}
