import { hostname } from 'node:os';
import {
  parseGatewayWorkers,
  workerExitAction,
  GATEWAY_WORKER_ENV,
} from '@app/common/gateway-workers';
import { resolveProcessName } from '@app/common/process-name';

describe(parseGatewayWorkers.name, () => {
  it('should read a count, auto (one per core) and the fallback when unset', () => {
    expect(parseGatewayWorkers('3', 8)).toBe(3);
    expect(parseGatewayWorkers(' auto ', 6)).toBe(6);
    expect(parseGatewayWorkers('AUTO', 0)).toBe(1);
    expect(parseGatewayWorkers(undefined, 4)).toBe(1);
    expect(parseGatewayWorkers('', 4, 'auto')).toBe(4);
    expect(parseGatewayWorkers(undefined, 200, 'auto')).toBe(64);
  });

  it('should refuse anything else with a message naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '65']) {
      expect(() => parseGatewayWorkers(bad, 4)).toThrow(
        `GATEWAY_WORKERS must be "auto" or a whole number from 1 to 64, got "${bad}"`,
      );
    }
  });
});

describe(workerExitAction.name, () => {
  const codes = { restart: 75, config: 78 };

  it('should tell a clean stop, a restart, a config problem and a crash apart', () => {
    expect(workerExitAction(0, codes)).toBe('stay-down');
    expect(workerExitAction(75, codes)).toBe('restart-now');
    expect(workerExitAction(78, codes)).toBe('stop-all');
    expect(workerExitAction(1, codes)).toBe('crashed');
    expect(workerExitAction(null, codes)).toBe('crashed');
  });
});

describe(resolveProcessName.name, () => {
  it('should give each gateway process of a port its own name', () => {
    expect(resolveProcessName('gateway', {}, 8317)).toBe(`gateway-${hostname()}-8317`);
    expect(resolveProcessName('gateway', { [GATEWAY_WORKER_ENV]: '2' }, 8317)).toBe(
      `gateway-${hostname()}-8317-2`,
    );
    expect(
      resolveProcessName('gateway', { [GATEWAY_WORKER_ENV]: '2', SB_PROCESS_NAME: 'edge' }, 8317),
    ).toBe('edge-2');
    // The worker process (BullMQ) is not one of them.
    expect(resolveProcessName('worker', { [GATEWAY_WORKER_ENV]: '2', WORKER_PORT: '9000' })).toBe(
      `worker-${hostname()}-9000`,
    );
  });
});
