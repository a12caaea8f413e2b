/** The logger methods used (Nest's Logger has them). */
export interface InfoWarnLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** One error answer the gateway made itself (not an upstream's error relayed). */
export interface GatewayErrorLine {
  requestId: string;
  /** Route pattern, never the raw URL (it may carry `?key=`). */
  route: string;
  /** The model the client asked for ('' when unknown). */
  model: string;
  status: number;
  /** The message the client got. */
  reason: string;
}

/** Control characters (a model name is client input) become spaces; long values are cut. */
function clean(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Log an error answer the gateway made itself — unknown model, invalid body, no credential,
 * cooldown, limits, auth, paused, no upstream reachable — at info for 4xx (the client's to fix)
 * and warn for 5xx (the operator's): request id, route, model and the reason, never a key.
 * Relayed upstream errors go to the error logs instead.
 */
export function logGatewayError(logger: InfoWarnLogger, e: GatewayErrorLine): void {
  const model = e.model ? ` model=${clean(e.model, 200)}` : '';
  const line = `request ${e.requestId} ${e.route}${model} answered ${e.status}: ${clean(e.reason, 500)}`;
  if (e.status >= 500) logger.warn(line);
  else logger.log(line);
}
