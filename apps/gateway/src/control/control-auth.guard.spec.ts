import type { ExecutionContext } from '@nestjs/common';
import { AppError, renderControlError } from '@app/common';
import type { ManagementAuthResult, ManagementAuthService } from '@app/management';
import { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';

function context(headers: Record<string, string> = {}): ExecutionContext {
  const req = { headers, raw: { socket: {} } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe(ControlAuthGuard.name, () => {
  let address: string;
  let verdict: ManagementAuthResult;
  let asked: [string, string][];
  let sut: ControlAuthGuard;

  beforeEach(() => {
    address = '127.0.0.1';
    verdict = { ok: true };
    asked = [];
    const auth = {
      clientAddress: () => address,
      authenticate: async (a: string, key: string) => {
        asked.push([a, key]);
        return verdict;
      },
    } as unknown as ManagementAuthService;
    sut = new ControlAuthGuard(auth);
  });

  async function rejection(ctx: ExecutionContext): Promise<AppError> {
    try {
      await sut.canActivate(ctx);
    } catch (err) {
      if (AppError.is(err, 'control')) return err;
      throw err;
    }
    throw new Error('expected an AppError');
  }

  it('should let loopback clients in without asking for a key', async () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.5']) {
      address = a;
      await expect(sut.canActivate(context())).resolves.toBe(true);
    }
    expect(asked).toEqual([]);
  });

  it('should check the management key of everyone else', async () => {
    address = '10.0.0.9';
    await expect(sut.canActivate(context({ authorization: 'Bearer k1' }))).resolves.toBe(true);
    await sut.canActivate(context({ 'x-management-key': 'k2' }));
    expect(asked).toEqual([
      ['10.0.0.9', 'k1'],
      ['10.0.0.9', 'k2'],
    ]);
  });

  it("should pass on the management verdict's status and message", async () => {
    address = '10.0.0.9';
    verdict = {
      ok: false,
      status: 403,
      message: 'IP banned due to too many failed attempts. Try again in 29m59s',
    };
    const banned = await rejection(context());
    expect(banned.status).toBe(403);
    expect(renderControlError(banned)).toEqual({ error: 'Forbidden', message: verdict.message });
    verdict = { ok: false, status: 401, message: 'invalid management key' };
    expect(renderControlError(await rejection(context()))).toEqual({
      error: 'Unauthorized',
      message: 'invalid management key',
    });
  });

  it('should say how to enable remote access when no management key exists', async () => {
    address = '10.0.0.9';
    verdict = { ok: false, status: 404, message: 'management API disabled' };
    const e = await rejection(context());
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/set remote-management\.secret-key/);
  });
});
