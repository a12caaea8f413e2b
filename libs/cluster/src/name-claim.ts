import type { MembershipRepository } from '@app/cluster/membership.repository';

/** Another live member already runs under this process's name. */
export class NameTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameTakenError';
  }
}

/** What the check needs to know about this process. */
export interface NameClaim {
  name: string;
  /** This process's instance id (written into its heartbeats). */
  instance: string;
  host: string;
  pid: number;
  /** How long to watch a foreign heartbeat for a refresh (a bit over one heartbeat period). */
  watchMs: number;
  /** Whether a pid runs on this host. */
  pidAlive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

/** True when a process with that pid exists on this host (EPERM: it exists, someone else's). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Refuse to join under a name a live member holds: two members with one name would show as one
 * in the cluster API, take each other's commands, and ignore each other's config announcements.
 * A heartbeat left by a dead holder is not a conflict: one written by this host's pid (a
 * container restarted in place) or by a pid that no longer runs here, or one that stops changing.
 */
export async function ensureNameFree(repo: MembershipRepository, claim: NameClaim): Promise<void> {
  const beat = await repo.heartbeat(claim.name);
  if (!beat || beat.startsWith(`${claim.instance}:`)) return;
  const holder = (await repo.get(claim.name))?.record;
  if (holder && holder.host === claim.host) {
    const alive = claim.pidAlive ?? pidAlive;
    if (holder.pid === claim.pid || !alive(holder.pid)) return;
  }
  // Another host, or a pid that runs here: a live holder rewrites its heartbeat every period.
  await (claim.sleep ?? sleepMs)(claim.watchMs);
  const again = await repo.heartbeat(claim.name);
  if (!again || again === beat) return;
  const where = holder ? ` (pid ${holder.pid} on ${holder.host || 'an unknown host'})` : '';
  throw new NameTakenError(
    `another live member of this cluster is already named "${claim.name}"${where}. ` +
      'Give each process its own name: set SB_PROCESS_NAME, or run it on a different PORT ' +
      '(gateway) / WORKER_PORT (worker), which the default name includes.',
  );
}
