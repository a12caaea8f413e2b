import { applyDecorators, UseGuards } from '@nestjs/common';
import { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';

/** Put on a `/api/cliproxy/*` controller: control API auth (the exception filter renders
 * its errors as `{error, message}`). */
export function ControlRoute(): ClassDecorator & MethodDecorator {
  return applyDecorators(UseGuards(ControlAuthGuard));
}
