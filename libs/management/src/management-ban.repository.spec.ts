import type { RedisService } from '@app/storage';
import { ManagementBanRepository } from '@app/management/management-ban.repository';

/** A Redis that is down: not ready, and every command fails. */
function downRedis(): RedisService {
  const fail = () => Promise.reject(new Error('Connection is closed.'));
  return {
    isReady: false,
    key: (...parts: (string | number)[]) => `sb:${parts.join(':')}`,
    command: {
      eval: fail,
      del: fail,
      multi: () => ({ exec: fail }),
      pipeline: () => ({ exec: fail }),
    },
  } as unknown as RedisService;
}

const MAX = 5;
const BAN_MS = 30 * 60 * 1000;

describe(`${ManagementBanRepository.name} without Redis`, () => {
  let sut: ManagementBanRepository;

  beforeEach(() => {
    sut = new ManagementBanRepository(downRedis());
  });

  it('should admit at most 5 of 50 concurrent attempts from one address, then ban it', async () => {
    const gates = await Promise.all(
      Array.from({ length: 50 }, () => sut.admit('198.51.100.1', MAX, BAN_MS)),
    );
    expect(gates.filter((g) => g.allowed)).toHaveLength(MAX);
    expect(gates.filter((g) => g.allowed).map((g) => g.allowed && g.attempt)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect((await sut.standing('198.51.100.1')).bannedForMs).toBeGreaterThan(BAN_MS - 1000);
    expect(await sut.admit('198.51.100.2', MAX, BAN_MS)).toEqual({ allowed: true, attempt: 1 });
  });

  it('should ban at the fifth failed attempt', async () => {
    for (let i = 1; i <= MAX; i++) {
      const gate = await sut.admit('198.51.100.3', MAX, BAN_MS);
      expect(gate).toEqual({ allowed: true, attempt: i });
      await sut.failed('198.51.100.3', i, MAX, BAN_MS);
    }
    const next = await sut.admit('198.51.100.3', MAX, BAN_MS);
    expect(next.allowed).toBe(false);
  });

  it('should start counting again after a success', async () => {
    for (let i = 0; i < 4; i++) await sut.admit('198.51.100.4', MAX, BAN_MS);
    await sut.reset('198.51.100.4');
    expect(await sut.admit('198.51.100.4', MAX, BAN_MS)).toEqual({ allowed: true, attempt: 1 });
  });

  it('should let the window lapse', async () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_000_000);
      for (let i = 0; i < 4; i++) await sut.admit('198.51.100.5', MAX, 1000);
      now.mockReturnValue(1_002_000);
      expect(await sut.admit('198.51.100.5', MAX, 1000)).toEqual({ allowed: true, attempt: 1 });
    } finally {
      now.mockRestore();
    }
  });
});
