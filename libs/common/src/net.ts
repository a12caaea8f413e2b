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
 * The client address: the socket peer, unless the peer is a trusted proxy, in which case the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: AddressSet,
): string {
  const socket = peer ? normalizeAddress(peer) : '';
  if (!socket || !trusted.has(socket) || !forwardedFor) return socket;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => isIP(s) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(hops[i])) return normalizeAddress(hops[i]);
  }
  return socket;
}
