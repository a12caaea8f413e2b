import { AddressSet, clientAddress, maskKey } from '@app/common';

/** Query parameters that carry credentials (`?key=` is how Gemini clients send their key). */
const SECRET_PARAM = /key|token|secret|password|auth/i;

/**
 * The URL a client called, as the request log shows it: path and query, with the values of
 * credential parameters masked. Most proxy URLs have no query, and those pass untouched.
 */
export function loggedUrl(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q < 0) return rawUrl;
  const params = new URLSearchParams(rawUrl.slice(q + 1));
  let masked = false;
  for (const [name, value] of [...params]) {
    if (!SECRET_PARAM.test(name) || value === '') continue;
    params.set(name, maskKey(value));
    masked = true;
  }
  return masked ? `${rawUrl.slice(0, q)}?${params.toString()}` : rawUrl;
}

// The parsed trusted-proxies list of the config version in force (parsing it per request would
// cost more than the rest of the lookup).
let trustedSource: readonly string[] | undefined;
let trustedSet = new AddressSet([]);

/** The request parts a client address comes from. */
export interface AddressedRequest {
  readonly socket: { readonly remoteAddress?: string };
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The client's address: the socket peer, or the client behind a trusted proxy. */
export function remoteAddress(req: AddressedRequest, trustedProxies: readonly string[]): string {
  if (trustedProxies !== trustedSource) {
    try {
      trustedSet = new AddressSet(trustedProxies);
    } catch {
      // the config schema validates the list; a bad entry here trusts nobody
      trustedSet = new AddressSet([]);
    }
    trustedSource = trustedProxies;
  }
  return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedSet);
}
