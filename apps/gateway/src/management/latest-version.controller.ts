import { Controller, Get } from '@nestjs/common';
import { managementError } from '@app/common';
import { ManagementRoute, ReleaseFeedError, ReleaseFeedService } from '@app/management';

/** `GET /v0/management/latest-version` → `{"latest-version": "v6.9.2"}` from `release-feed-url`. */
@Controller('v0/management/latest-version')
@ManagementRoute()
export class LatestVersionController {
  constructor(private readonly feed: ReleaseFeedService) {}

  @Get()
  async latest(): Promise<{ 'latest-version': string }> {
    try {
      return { 'latest-version': (await this.feed.latest()).version };
    } catch (err) {
      if (err instanceof ReleaseFeedError) throw managementError(502, err.message);
      throw err;
    }
  }
}
