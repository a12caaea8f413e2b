import { applyDecorators, UseGuards } from '@nestjs/common';
import { ManagementGuard } from '@app/management/management.guard';

/**
 * Put on a `/v0/management/*` controller: management authentication (the exception filter
 * renders its errors in CLIProxyAPI's `{"error": …}` bodies). The controller's module must import ManagementModule.
 */
export function ManagementRoute(): ClassDecorator & MethodDecorator {
  return applyDecorators(UseGuards(ManagementGuard));
}
