import { Command, type Redis } from 'ioredis';
import {
  instrumentCommands,
  isRedisFailure,
  redisErrorKind,
  type CommandHooks,
  type RedisErrorKind,
} from '@app/storage/redis.instrument';

/** A connection whose sendCommand only queues: the test settles each command itself. */
function fakeConnection(): { conn: Redis; queued: Command[] } {
  const queued: Command[] = [];
  const conn = {
    status: 'ready',
    sendCommand(command: Command) {
      queued.push(command);
      return command.promise;
    },
  } as unknown as Redis;
  return { conn, queued };
}

function recordingHooks(): CommandHooks & {
  errors: RedisErrorKind[];
  samples: { command: string; seconds: number }[];
} {
  const errors: RedisErrorKind[] = [];
  const samples: { command: string; seconds: number }[] = [];
  return {
    errors,
    samples,
    onError: (kind) => errors.push(kind),
    onSample: (command, seconds) => samples.push({ command, seconds }),
  };
}

function replyError(message: string): Error {
  const err = new Error(message);
  err.name = 'ReplyError';
  return err;
}

describe(instrumentCommands.name, () => {
  it('should count every failure and time one command in N', async () => {
    const { conn, queued } = fakeConnection();
    const hooks = recordingHooks();
    const sut = instrumentCommands(conn, hooks, { sampleEvery: 3 });
    const results = Array.from({ length: 6 }, (_, i) =>
      conn.sendCommand(new Command('get', [`k${i}`])),
    );
    queued.forEach((c, i) =>
      i % 2 === 0 ? c.resolve('v') : c.reject(new Error('Command timed out')),
    );
    const settled = await Promise.allSettled(results as Promise<unknown>[]);

    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(hooks.errors).toEqual(['timeout', 'timeout', 'timeout']);
    // The 3rd and 6th commands are sampled, one succeeded and one failed.
    expect(hooks.samples.map((s) => s.command)).toEqual(['get', 'get']);
    expect(hooks.samples.every((s) => s.seconds >= 0 && s.seconds < 1)).toBe(true);
    expect(sut.sent()).toBe(6);
  });

  it('should pass results and errors through unchanged', async () => {
    const { conn, queued } = fakeConnection();
    instrumentCommands(conn, recordingHooks(), { sampleEvery: 1 });
    const ok = conn.sendCommand(
      new Command('get', ['a'], { replyEncoding: 'utf8' }),
    ) as Promise<unknown>;
    const bad = conn.sendCommand(new Command('incr', ['b'])) as Promise<unknown>;
    const err = replyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    queued[0].resolve(Buffer.from('value'));
    queued[1].reject(err);
    const [a, b] = await Promise.allSettled([ok, bad]);
    expect(a).toEqual({ status: 'fulfilled', value: 'value' });
    expect(b).toEqual({ status: 'rejected', reason: err });
  });

  it('should count a command once when it is resent or rejected twice', async () => {
    const { conn, queued } = fakeConnection();
    const hooks = recordingHooks();
    const sut = instrumentCommands(conn, hooks, { sampleEvery: 100 });
    const cmd = new Command('set', ['k', 'v']);
    const p = conn.sendCommand(cmd) as Promise<unknown>;
    conn.sendCommand(cmd); // resent after a reconnect
    queued[0].reject(new Error('Command timed out'));
    queued[0].reject(new Error('Connection is closed.'));
    await expect(p).rejects.toThrow('Command timed out');
    expect(hooks.errors).toEqual(['timeout']);
    expect(sut.sent()).toBe(1);
  });

  it('should leave the connection handshake out', async () => {
    const { conn, queued } = fakeConnection();
    const hooks = recordingHooks();
    const sut = instrumentCommands(conn, hooks, { sampleEvery: 1 });
    (conn as { status: string }).status = 'connect';
    const p = conn.sendCommand(
      new Command('client', ['setinfo', 'lib-name', 'x']),
    ) as Promise<unknown>;
    queued[0].reject(replyError("ERR Unknown subcommand 'setinfo'"));
    await expect(p).rejects.toThrow('setinfo');
    expect(hooks.errors).toEqual([]);
    expect(hooks.samples).toEqual([]);
    expect(sut.sent()).toBe(0);
  });

  it('should restore the original sendCommand when removed', () => {
    const { conn } = fakeConnection();
    const original = conn.sendCommand;
    const sut = instrumentCommands(conn, recordingHooks());
    expect(conn.sendCommand).not.toBe(original);
    sut.remove();
    expect(conn.sendCommand).toBe(original);
  });
});

describe(redisErrorKind.name, () => {
  it.each([
    [new Error('Command timed out'), 'timeout'],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'unavailable'],
    [new Error('Connection is closed.'), 'unavailable'],
    [Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }), 'unavailable'],
    [replyError('NOSCRIPT No matching script'), 'reply'],
    [new Error('something else'), 'other'],
    ['not an error', 'other'],
  ])('should classify %p as %s', (err, kind) => {
    expect(redisErrorKind(err)).toBe(kind);
  });
});

describe(isRedisFailure.name, () => {
  it('should recognise a down connection or a timed-out command, and nothing else', () => {
    for (const m of [
      "Stream isn't writeable and enableOfflineQueue options is false",
      'Connection is closed.',
      'Command timed out',
    ]) {
      expect(isRedisFailure(new Error(m))).toBe(true);
    }
    expect(isRedisFailure(new Error('ERR wrong number of arguments'))).toBe(false);
    expect(isRedisFailure(undefined)).toBe(false);
  });
});
