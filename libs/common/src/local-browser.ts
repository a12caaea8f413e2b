import { hostname } from 'node:os';
import { isIP } from 'node:net';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `localhost`, `*.localhost` (RFC 6761), or a loopback IP literal. */
function isLoopbackHostname(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host name of a `Host` header value: `example.com:8317` → `example.com`, `[::1]:80` → `::1`. */
export function hostOfHeader(value: string): string {
  const v = value.trim();
  if (v.startsWith('[')) return v.slice(1, Math.max(1, v.indexOf(']')));
  const colon = v.lastIndexOf(':');
  return (colon >= 0 && v.indexOf(':') === colon ? v.slice(0, colon) : v).toLowerCase();
}

/**
 * True when a request from a loopback peer was sent by a web page from somewhere else, so it
 * must not get the key-free access that programs on this machine get (the control and cluster
 * APIs): a browser on the gateway's machine is a loopback peer for every site it visits.
 * - an `Origin` that is not on this machine (cross-site `fetch`/form posts, `Origin: null` from
 *   sandboxed frames and files), or `Sec-Fetch-Site: cross-site`;
 * - a `Host` that names neither this machine nor an IP address: DNS rebinding, where a site's
 *   own name is pointed at 127.0.0.1 so its page becomes "same-origin" with the gateway and
 *   sends no `Origin` at all.
 * Programs (curl, SDKs, healthchecks, supervisors) send neither an `Origin` nor a foreign `Host`.
 */
export function isForeignBrowserRequest(headers: Headers, machine: string = hostname()): boolean {
  const origin = first(headers.origin);
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return true; // `null` and anything unparsable
    }
    if (!isLoopbackHostname(originHost) && originHost !== machine.toLowerCase()) return true;
  }
  if (first(headers['sec-fetch-site'])?.toLowerCase() === 'cross-site') return true;
  const host = first(headers.host);
  if (host) {
    const name = hostOfHeader(host);
    if (!isLoopbackHostname(name) && isIP(name) === 0 && name !== machine.toLowerCase()) {
      return true;
    }
  }
  return false;
}
