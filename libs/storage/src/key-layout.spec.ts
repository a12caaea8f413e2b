import { movedKey } from '@app/storage/key-layout';

describe(movedKey.name, () => {
  it('should move the multi-key families under their hash tags', () => {
    expect(movedKey('usage:totals')).toEqual({ to: '{usage}:totals', mode: 'sum' });
    expect(movedKey('usage:det:abcd')).toEqual({ to: '{usage}:det:abcd', mode: 'sum' });
    expect(movedKey('usage:applied')).toEqual({ to: '{usage}:applied', mode: 'max' });
    expect(movedKey('credact:b:123')).toEqual({ to: '{credact}:b:123', mode: 'sum' });
    expect(movedKey('credact:applied')).toEqual({ to: '{credact}:applied', mode: 'max' });
    expect(movedKey('logs:errors')).toEqual({ to: 'logs:{errors}', mode: 'keep' });
    expect(movedKey('logs:error:error-1.log')?.to).toBe('logs:{errors}:error-1.log');
    expect(movedKey('logs:details')?.to).toBe('logs:{details}');
    expect(movedKey('logs:detail:req-1')?.to).toBe('logs:{details}:req-1');
    expect(movedKey('cluster:member:gateway-a')?.to).toBe('{cluster}:member:gateway-a');
    expect(movedKey('quota:codex:abc')?.to).toBe('{quota}:codex:abc');
    expect(movedKey('oauth:login:st-1')?.to).toBe('oauth:{login}:st-1');
    expect(movedKey('oauth:login-devices')?.to).toBe('oauth:{login}:devices');
    expect(movedKey('oauth:login-poll:st-1')?.to).toBe('oauth:{login}:poll:st-1');
    expect(movedKey('ws-relay:conns')?.to).toBe('ws-relay:{conns}');
    expect(movedKey('ws-relay:conn:c1')?.to).toBe('ws-relay:{conns}:c1');
    expect(movedKey('limits:1a2b3c4d:tpd')).toEqual({ to: 'limits:{1a2b3c4d}:tpd', mode: 'sum' });
    expect(movedKey('limits:1a2b3c4d:leases')).toEqual({
      to: 'limits:{1a2b3c4d}:leases',
      mode: 'keep',
    });
  });

  it('should leave keys of the new layout and single keys alone', () => {
    for (const key of [
      '{usage}:totals',
      'logs:{errors}',
      'logs:{errors}:error-1.log',
      'limits:{1a2b3c4d}:tpd',
      'oauth:{login}:devices',
      'routing:state',
      'routing:rr:bucket',
      'logs:requests',
      'logs:process',
      'mgmt:{10.0.0.1}:fail',
      'oauth:refresh-lock:abc',
      'bull:{refresh}:refresh:wait',
    ]) {
      expect(movedKey(key)).toBeUndefined();
    }
  });
});
