import { BlockList, isIP } from 'node:net';
import { hostAddresses, isHostName, type HostAddresses } from '@app/common/host-addresses';

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

/**
 * A set of IPs, CIDRs and host names (trusted-proxies). A host name stands for the addresses it
 * resolves to (looked up in the background, again every 30 s): a load balancer known by its
 * service name on a compose network or in Kubernetes.
 */
export class AddressSet {
  private readonly list = new BlockList();
  private readonly names: string[] = [];
  readonly size: number;

  constructor(
    entries: readonly string[],
    private readonly hosts: HostAddresses = hostAddresses,
  ) {
    let n = 0;
    for (const raw of entries) {
      const entry = raw.trim();
      if (!entry) continue;
      const [ip, bits] = entry.split('/');
      const family = isIP(ip);
      if (family === 0) {
        if (bits !== undefined || !isHostName(entry)) {
          throw new Error(`Not an IP address, CIDR or host name: ${entry}`);
        }
        const name = entry.toLowerCase().replace(/\.$/, '');
        this.names.push(name);
        // Start the lookup now, so the name is known before the first request needs it.
        hosts.current(name);
        n++;
        continue;
      }
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
    if (this.list.check(a, family === 4 ? 'ipv4' : 'ipv6')) return true;
    for (const name of this.names) if (this.hosts.current(name).has(a)) return true;
    return false;
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
