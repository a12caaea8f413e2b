import { Logger } from '@nestjs/common';
import { AppError } from '@app/common';
import type { ClientCall } from '@app/proxy/client-routes';
import { logGatewayError } from '@app/proxy/gateway-error-log';
import type { Exchange, ClientRequest, RequestScope } from '@app/proxy/pipeline/exchange';
import { errorFormatOf, renderGatewayError, renderUpstreamError } from '@app/proxy/proxy-errors';
import type { AttemptFailure } from '@app/proxy/upstream-request';

// The pipeline's error answers, rendered in the client's wire format: refusals the gateway makes
// itself, and the last upstream failure relayed once failover gave up.

const logger = new Logger('Proxy');

/** What the client is told when no upstream answered at all. */
export const NO_UPSTREAM: Readonly<AttemptFailure> = {
  status: 502,
  error: AppError.of('NO_UPSTREAM').toWire(),
  body: '',
};

/** Log an error answer the gateway made itself (see logGatewayError). */
export function logRefusal(
  req: ClientRequest,
  call: ClientCall,
  model: string,
  status: number,
  reason: string,
): void {
  logGatewayError(logger, { requestId: req.id, route: call.route, model, status, reason });
}

/** Answer with a gateway-made error in the client's format, noted in the outcome and logged. */
export function refuse(s: RequestScope, e: AppError): void {
  const o = s.outcome;
  o.status = e.status;
  o.errorClass = e.code ?? e.type;
  o.errorMessage = e.message;
  logRefusal(s.req, s.call, o.model, e.status, e.message);
  s.res.sendJson(e.status, renderGatewayError(errorFormatOf(s.call.format), e), e.headers);
}

/** Relay the last upstream failure: its status and message, in the client's format. */
export function sendFailure(x: Exchange, f: AttemptFailure): void {
  x.outcome.status = f.status;
  x.outcome.errorClass = f.error.type;
  x.outcome.errorMessage = f.error.message;
  // No upstream answered (transport failure, a request no upstream can take): the gateway's own.
  if (f.transport || !x.outcome.upstream) {
    logRefusal(x.req, x.call, x.model, f.status, f.error.message);
  }
  const headers: Record<string, string> = {};
  if (f.retryAfterSec !== undefined && f.retryAfterSec > 0) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(f.retryAfterSec)));
  }
  x.res.sendJson(f.status, f.relayBody ?? renderUpstreamError(x.call.format, f.error), headers);
}
