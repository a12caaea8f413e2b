import { BlockList, isIP } from 'node:net';

/** Strip an IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1` → `127.0.0.1`). */
export function normalizeAddress(addr: string): string {
  const lower = addr.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** True for 127.0.0.0/8, ::1 and ::ffff:127.x — decided on the socket peer only. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = normalizeAddress(addr);
  if (a === '::1') return true;
  return isIP(a) === 4 && a.startsWith('127.');
}

/** A set of IPs and CIDRs (trusted-proxies). */
export class AddressSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    let n = 0;
    for (const raw of entries) {
      const entry = raw.trim();
      if (!entry) continue;
      const [ip, bits] = entry.split('/');
      const family = isIP(ip);
      if (family === 0) throw new Error(`Not an IP address or CIDR: ${entry}`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.list.addAddress(ip, type);
      else this.list.addSubnet(ip, Number(bits), type);
      n++;
    }
    this.size = n;
  }

  has(addr: string): boolean {
    if (this.size === 0) return false;
    const a = normalizeAddress(addr);
    const family = isIP(a);
    if (family === 0) return false;
    return this.list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client address given when a trusted proxy did not say who its client is (no
 * X-Forwarded-For, an empty one, `unknown`, or a hop that is not an address). Never loopback,
 * never a trusted proxy: such a caller is treated as remote.
 */
export const UNKNOWN_CLIENT = 'unknown';

/** One X-Forwarded-For hop as an address (`1.2.3.4`, `1.2.3.4:80`, `[::1]:80`), else undefined. */
function hopAddress(hop: string): string | undefined {
  let h = hop.trim();
  if (h.startsWith('"') && h.endsWith('"') && h.length >= 2) h = h.slice(1, -1);
  if (isIP(h) !== 0) return h;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (bracketed && isIP(bracketed[1]) === 6) return bracketed[1];
  const withPort = /^([\d.]+):\d+$/.exec(h);
  if (withPort && isIP(withPort[1]) === 4) return withPort[1];
  return undefined;
}

/**
 * The client address: the socket peer, unless the peer is a trusted proxy. Then it is the
 * right-most X-Forwarded-For hop that is not itself a trusted proxy (hops left of it were
 * written by the client and prove nothing); the left-most hop when every hop is a trusted
 * proxy; and UNKNOWN_CLIENT when the header is missing, empty, or reaches an unusable hop
 * (`unknown`, a name) first, so a proxy that forwards without saying who for never makes its
 * callers local.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: AddressSet,
): string {
  const socket = peer ? normalizeAddress(peer) : '';
  if (!socket || !trusted.has(socket)) return socket;
  if (!forwardedFor) return UNKNOWN_CLIENT;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .filter((h) => h.trim() !== '');
  let leftmost: string | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i]);
    if (hop === undefined) return UNKNOWN_CLIENT;
    if (!trusted.has(hop)) return normalizeAddress(hop);
    leftmost = hop;
  }
  return leftmost === undefined ? UNKNOWN_CLIENT : normalizeAddress(leftmost);
}
