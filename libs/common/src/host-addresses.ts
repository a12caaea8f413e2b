import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** How long a name's addresses are used before they are looked up again. */
const REFRESH_MS = 30_000;

/** A DNS name (`lb`, `haproxy.internal`), not an address. */
export function isHostName(entry: string): boolean {
  const name = entry.trim();
  return (
    name.length > 0 &&
    name.length <= 253 &&
    isIP(name) === 0 &&
    /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/.test(name) &&
    !/^\d+(\.\d+)*$/.test(name)
  );
}

interface Entry {
  addresses: ReadonlySet<string>;
  at: number;
  pending?: Promise<void>;
}

/**
 * The addresses of host names in `trusted-proxies` (a load balancer's service name on a compose
 * network or in Kubernetes, whose address changes with every restart). Looked up in the
 * background and again every 30 s; `current()` never waits: until the first answer a name
 * trusts nothing, and a failed lookup keeps the last answer.
 */
export class HostAddresses {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly resolve: (name: string) => Promise<string[]> = async (name) =>
      (await lookup(name, { all: true, verbatim: true })).map((a) => a.address),
    private readonly now: () => number = Date.now,
  ) {}

  /** The addresses known for `name` now (refreshed in the background when due). */
  current(name: string): ReadonlySet<string> {
    let e = this.entries.get(name);
    if (!e) {
      e = { addresses: new Set(), at: Number.NEGATIVE_INFINITY };
      this.entries.set(name, e);
    }
    if (!e.pending && this.now() - e.at >= REFRESH_MS) this.refresh(name, e);
    return e.addresses;
  }

  /** Look `name` up now (the first answer, or the next). */
  async settle(name: string): Promise<void> {
    this.current(name);
    await this.entries.get(name)?.pending;
  }

  private refresh(name: string, e: Entry): void {
    e.pending = this.resolve(name)
      .then((list) => {
        e.addresses = new Set(list.map((a) => a.toLowerCase()));
        e.at = this.now();
      })
      .catch(() => {
        // Keep what was known; try again at the next use after a short pause.
        e.at = this.now() - REFRESH_MS + 1000;
      })
      .finally(() => {
        e.pending = undefined;
      });
  }
}

/** The process's shared lookups (every AddressSet of every config version uses them). */
export const hostAddresses = new HostAddresses();
