import { Injectable } from '@nestjs/common';
import { AppError, clusterError } from '@app/common';
import type { ClusterAction } from '@app/cluster/cluster-command';
import {
  detailOf,
  viewOf,
  type MemberDetail,
  type MemberState,
  type MemberView,
} from '@app/cluster/member.types';
import { MembershipRepository } from '@app/cluster/membership.repository';
import { MembershipService } from '@app/cluster/membership.service';

/** How long a cluster-wide shutdown refuses further commands. */
const SHUTDOWN_MARK_SECONDS = 60;
/** How long the API waits for a member to acknowledge a command. */
const ACK_TIMEOUT_MS = 3000;

/** The commands `POST /processes/:name/:action` accepts. */
export type MemberAction = Exclude<ClusterAction, 'shutdown'>;

/**
 * What a command needs of the member's current state. Returns the refusal, or undefined when
 * the command may go ahead:
 * - stop: the member must be alive and taking work (else PROCESS_NOT_RUNNING);
 * - start: a running member is PROCESS_ALREADY_RUNNING; a member that is not alive cannot be
 *   started from here (its supervisor restarts it), so PROCESS_NOT_RUNNING;
 * - restart: the member must be alive.
 */
export function refusalFor(action: MemberAction, state: MemberState): AppError | undefined {
  const view = viewOf(state);
  const name = view.name;
  if (!state.alive || view.status === 'crashed') {
    const why = view.status === 'crashed' ? 'has crashed (its heartbeat lapsed)' : 'is not running';
    return clusterError(
      'PROCESS_NOT_RUNNING',
      action === 'start'
        ? `${name} ${why}; its supervisor (compose restart policy or npm start) starts it again`
        : `${name} ${why}`,
    );
  }
  switch (action) {
    case 'stop':
      if (view.status === 'stopped' || view.status === 'stopping')
        return clusterError('PROCESS_NOT_RUNNING', `${name} is already ${view.status}`);
      return undefined;
    case 'start':
      if (view.status === 'running')
        return clusterError('PROCESS_ALREADY_RUNNING', `${name} is already running`);
      if (view.status === 'stopping')
        return clusterError('PROCESS_NOT_RUNNING', `${name} is shutting down`);
      return undefined;
    case 'restart':
      if (view.status === 'stopping')
        return clusterError('PROCESS_NOT_RUNNING', `${name} is already shutting down`);
      return undefined;
  }
}

/** The decisions behind the cluster API: listing members and commanding them. */
@Injectable()
export class ClusterService {
  constructor(
    private readonly repo: MembershipRepository,
    private readonly membership: MembershipService,
  ) {}

  /** Every member, sorted by name. */
  async processes(): Promise<MemberView[]> {
    const now = Date.now();
    return (await this.repo.list()).map((s) => viewOf(s, now));
  }

  /** One member in detail; PROCESS_NOT_FOUND when unknown. */
  async process(name: string): Promise<MemberDetail> {
    return detailOf(await this.require(name));
  }

  /** True while a cluster-wide shutdown is in progress or this process is draining. */
  async shuttingDown(draining: boolean): Promise<boolean> {
    if (draining) return true;
    try {
      return await this.repo.isShuttingDown();
    } catch {
      return false;
    }
  }

  /**
   * Start, stop or restart a member; resolves once the member acknowledged. This replica
   * applies a command for itself directly; any other member gets it over Redis pub/sub.
   */
  async command(name: string, action: MemberAction, draining: boolean): Promise<void> {
    if (await this.shuttingDown(draining)) {
      throw clusterError('SHUTDOWN_IN_PROGRESS', 'A shutdown is in progress');
    }
    const state = await this.require(name);
    const refusal = refusalFor(action, state);
    if (refusal) throw refusal;
    const ack =
      name === this.membership.name
        ? await this.membership.apply(action)
        : await this.membership.send(name, action, ACK_TIMEOUT_MS);
    if (!ack) {
      throw clusterError(
        'PROCESS_UNREACHABLE',
        `${name} did not acknowledge ${action} within ${ACK_TIMEOUT_MS / 1000} s`,
      );
    }
    if (!ack.ok) {
      throw clusterError(
        'PROCESS_NOT_RUNNING',
        `${name} could not ${action}: ${ack.message ?? 'unknown error'}`,
      );
    }
  }

  /** Mark the shutdown (further commands get SHUTDOWN_IN_PROGRESS) and tell every member. */
  async shutdown(draining: boolean): Promise<void> {
    if (await this.shuttingDown(draining)) {
      throw clusterError('SHUTDOWN_IN_PROGRESS', 'A shutdown is already in progress');
    }
    await this.repo.markShutdown(SHUTDOWN_MARK_SECONDS);
    await this.membership.broadcastShutdown();
  }

  private async require(name: string): Promise<MemberState> {
    const state = await this.repo.get(name);
    if (!state) {
      throw clusterError(
        'PROCESS_NOT_FOUND',
        `No process named ${name}; GET /api/v1/processes lists them`,
      );
    }
    return state;
  }
}
