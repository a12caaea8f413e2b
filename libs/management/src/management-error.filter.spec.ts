import { BadRequestException, Logger, type ArgumentsHost } from '@nestjs/common';
import { ManagementErrorFilter } from '@app/management/management-error.filter';
import { ManagementDisabledError, ManagementError } from '@app/management/management.errors';

class FakeReply {
  sent = false;
  statusCode = 200;
  body: unknown;
  headers: Record<string, string> = {};

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  header(k: string, v: string): this {
    this.headers[k] = v;
    return this;
  }

  send(body: unknown): this {
    this.body = body;
    this.sent = true;
    return this;
  }
}

function hostFor(reply: FakeReply): ArgumentsHost {
  return {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1' }) }),
  } as unknown as ArgumentsHost;
}

describe(ManagementErrorFilter.name, () => {
  const sut = new ManagementErrorFilter();

  function render(e: unknown): FakeReply {
    const reply = new FakeReply();
    sut.catch(e, hostFor(reply));
    return reply;
  }

  it('should render management errors as {"error": message} with their status and headers', () => {
    const r = render(
      new ManagementError(403, 'remote management disabled', { 'retry-after': '5' }),
    );
    expect(r.statusCode).toBe(403);
    expect(r.body).toEqual({ error: 'remote management disabled' });
    expect(r.headers['retry-after']).toBe('5');
  });

  it('should render Nest HTTP exceptions the same way', () => {
    const r = render(new BadRequestException('value must be a boolean'));
    expect(r.statusCode).toBe(400);
    expect(r.body).toEqual({ error: 'value must be a boolean' });
  });

  it('should answer a disabled management API exactly like an unknown route', () => {
    const r = render(new ManagementDisabledError('GET', '/v0/management/usage'));
    expect(r.statusCode).toBe(404);
    expect(r.body).toEqual({
      error: { type: 'not_found_error', message: 'Cannot GET /v0/management/usage' },
    });
  });

  it('should hide unexpected errors behind a 500', () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const r = render(new Error('secret internals'));
    expect(r.statusCode).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('secret internals');
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });
});
