import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { ManagementErrorFilter } from '@app/management/management-error.filter';
import { ManagementGuard } from '@app/management/management.guard';

/**
 * Put on a `/v0/management/*` controller: management authentication and CLIProxyAPI-style
 * `{"error": …}` bodies. The controller's module must import ManagementModule.
 */
export function ManagementRoute(): ClassDecorator & MethodDecorator {
  return applyDecorators(UseGuards(ManagementGuard), UseFilters(ManagementErrorFilter));
}
