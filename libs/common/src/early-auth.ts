/** Requests the gateway authenticated in `onRequest`, before their body was read. */
const authenticated = new WeakSet<object>();

/**
 * Mark a request (its raw IncomingMessage) as authenticated by the gateway's onRequest gate, so
 * the route's guard does not check (and count) the same key a second time.
 */
export function markAuthenticated(raw: object): void {
  authenticated.add(raw);
}

/** True when the onRequest gate already authenticated this request. */
export function wasAuthenticated(raw: object): boolean {
  return authenticated.has(raw);
}
