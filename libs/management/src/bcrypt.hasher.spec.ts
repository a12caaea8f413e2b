import { compareSync, hashSync } from 'bcryptjs';
import { isMainThread } from 'node:worker_threads';
import { BcryptHasher } from '@app/management/bcrypt.hasher';

describe(BcryptHasher.name, () => {
  let sut: BcryptHasher;

  beforeEach(() => {
    sut = new BcryptHasher();
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
  });

  it('should compare keys against a bcrypt hash on its thread', async () => {
    const hashed = hashSync('right', 4);
    expect(await sut.compare('right', hashed)).toBe(true);
    expect(await sut.compare('wrong', hashed)).toBe(false);
    expect(isMainThread).toBe(true);
  });

  it('should write hashes bcrypt (and Go) can read', async () => {
    const hashed = await sut.hash('secret');
    expect(hashed).toMatch(/^\$2b\$10\$/);
    expect(compareSync('secret', hashed)).toBe(true);
  });

  it('should answer many checks at once, each with its own verdict', async () => {
    const hashed = hashSync('k3', 4);
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sut.compare(`k${i}`, hashed)),
    );
    expect(verdicts).toEqual([false, false, false, true, false, false, false, false]);
  });

  it('should keep the event loop free while a slow check runs', async () => {
    // Cost 12 is ~0.5 s of bcryptjs: on the event loop, hardly a timer could fire meanwhile.
    const hashed = hashSync('x', 12);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      expect(await sut.compare('y', hashed)).toBe(false);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(5);
  });

  it('should start a new thread after the old one is gone', async () => {
    const hashed = hashSync('k', 4);
    expect(await sut.compare('k', hashed)).toBe(true);
    await sut.onModuleDestroy();
    expect(await sut.compare('k', hashed)).toBe(true);
  });

  it('should report what bcrypt refuses as an error', async () => {
    await expect(sut.compare('k', undefined as unknown as string)).rejects.toThrow(/^bcrypt: /);
  });
});
