import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';
import { ControlErrorFilter } from '@app/gateway/control/control-error.filter';

/** Put on a `/api/cliproxy/*` controller: control API auth and `{error, message}` bodies. */
export function ControlRoute(): ClassDecorator & MethodDecorator {
  return applyDecorators(UseGuards(ControlAuthGuard), UseFilters(ControlErrorFilter));
}
