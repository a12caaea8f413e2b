import { BlockList, isIP } from 'node:net';
import { normalizeAddress } from '@app/common';

// Link-local ranges (cloud metadata endpoints live there) and the metadata addresses of the
// big clouds that sit outside them. Loopback and private ranges stay allowed: operators call
// local services and tests use loopback servers.
const REFUSED = new BlockList();
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
REFUSED.addSubnet('fe80::', 10, 'ipv6');
REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6

const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

const TRAILING_DOTS = /\.+$/;

/** Why an IP address may not be called (undefined when it may). */
export function refusedAddress(address: string): string | undefined {
  // An IPv6 zone (`fe80::1%eth0`) is not part of the address.
  const zone = address.indexOf('%');
  const ip = normalizeAddress(zone >= 0 ? address.slice(0, zone) : address);
  const family = isIP(ip);
  if (family === 0) return undefined;
  if (REFUSED.check(ip, family === 4 ? 'ipv4' : 'ipv6')) {
    return `${ip} is a link-local or cloud metadata address`;
  }
  return undefined;
}

/**
 * Why a URL host may not be called: a metadata host name, or an IP literal in a refused range.
 * Host names that resolve to such an address are caught by `refusedAddress` after DNS.
 */
export function refusedHost(hostname: string): string | undefined {
  let host = hostname.trim().toLowerCase().replace(TRAILING_DOTS, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata host`;
  return refusedAddress(host);
}
