import type { ReportedStatus } from '@app/cluster/member.types';

/** What the cluster API can ask a member to do. */
export type ClusterAction = 'start' | 'stop' | 'restart' | 'shutdown';

/** A command sent to one member (or `*`, every member) over Redis pub/sub. */
export interface ClusterCommand {
  id: string;
  action: ClusterAction;
  target: string;
  /** Member that sent it (the ack goes back to it). */
  from: string;
}

/** A member's answer to a command. */
export interface ClusterAck {
  id: string;
  from: string;
  ok: boolean;
  status: ReportedStatus;
  message?: string;
}

/** Channel a member listens on for commands addressed to it. */
export function commandChannel(name: string): string {
  return `cluster:cmd:${name}`;
}

/** Channel every member listens on (cluster-wide shutdown). */
export const BROADCAST_CHANNEL = 'cluster:cmd';

/** Channel a member listens on for acknowledgements of the commands it sent. */
export function ackChannel(name: string): string {
  return `cluster:ack:${name}`;
}

const ACTIONS: ReadonlySet<string> = new Set(['start', 'stop', 'restart', 'shutdown']);

/** Parse a command message; undefined for anything malformed. */
export function parseCommand(message: string): ClusterCommand | undefined {
  try {
    const c = JSON.parse(message) as Partial<ClusterCommand>;
    if (
      typeof c.id === 'string' &&
      typeof c.target === 'string' &&
      typeof c.from === 'string' &&
      typeof c.action === 'string' &&
      ACTIONS.has(c.action)
    ) {
      return { id: c.id, action: c.action, target: c.target, from: c.from };
    }
  } catch {
    // not JSON: ignored
  }
  return undefined;
}

/** Parse an ack message; undefined for anything malformed. */
export function parseAck(message: string): ClusterAck | undefined {
  try {
    const a = JSON.parse(message) as Partial<ClusterAck>;
    if (typeof a.id === 'string' && typeof a.ok === 'boolean' && typeof a.status === 'string') {
      return {
        id: a.id,
        from: typeof a.from === 'string' ? a.from : '',
        ok: a.ok,
        status: a.status,
        message: typeof a.message === 'string' ? a.message : undefined,
      };
    }
  } catch {
    // not JSON: ignored
  }
  return undefined;
}
