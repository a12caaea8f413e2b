import {
  AddressSet,
  UNKNOWN_CLIENT,
  clientAddress,
  isLoopback,
  normalizeAddress,
} from '@app/common/net';

describe('net', () => {
  describe(isLoopback.name, () => {
    it.each(['127.0.0.1', '127.10.2.3', '::1', '::ffff:127.0.0.1'])(
      'should treat %s as loopback',
      (a) => {
        expect(isLoopback(a)).toBe(true);
      },
    );
    it.each([
      '10.0.0.1',
      '192.168.1.2',
      '::ffff:10.0.0.1',
      '2001:db8::1',
      '',
      undefined,
      'localhost',
    ])('should not treat %s as loopback', (a) => {
      expect(isLoopback(a)).toBe(false);
    });
  });

  it('should normalise IPv4-mapped IPv6 addresses', () => {
    expect(normalizeAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:db8::1');
  });

  describe(AddressSet.name, () => {
    it('should match single addresses and CIDRs of both families', () => {
      const sut = new AddressSet(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
      expect(sut.has('10.2.3.4')).toBe(true);
      expect(sut.has('::ffff:10.2.3.4')).toBe(true);
      expect(sut.has('192.168.1.5')).toBe(true);
      expect(sut.has('192.168.1.6')).toBe(false);
      expect(sut.has('fd12::1')).toBe(true);
      expect(sut.has('not-an-ip')).toBe(false);
    });

    it('should reject entries that are not IPs', () => {
      expect(() => new AddressSet(['example.com'])).toThrow(/Not an IP/);
    });
  });

  describe(clientAddress.name, () => {
    const trusted = new AddressSet(['10.0.0.1']);

    it('should ignore X-Forwarded-For from an untrusted peer', () => {
      expect(clientAddress('203.0.113.9', '127.0.0.1', trusted)).toBe('203.0.113.9');
    });

    it('should believe X-Forwarded-For from a trusted proxy', () => {
      expect(clientAddress('10.0.0.1', '198.51.100.7', trusted)).toBe('198.51.100.7');
    });

    it('should take the right-most untrusted hop, so a client cannot spoof the left-most', () => {
      expect(clientAddress('10.0.0.1', '127.0.0.1, 198.51.100.7', trusted)).toBe('198.51.100.7');
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['blank', ' , '],
      ['unknown', 'unknown'],
      ['a name', 'client.example'],
      ['empty in a list', ['']],
    ])('should make the caller unknown (never local) when the header is %s', (_, header) => {
      for (const proxy of ['10.0.0.1', '127.0.0.1']) {
        const set = new AddressSet([proxy]);
        const who = clientAddress(proxy, header, set);
        expect(who).toBe(UNKNOWN_CLIENT);
        expect(isLoopback(who)).toBe(false);
        expect(set.has(who)).toBe(false);
      }
    });

    it('should stop at an unusable hop: what is left of it was written by the client', () => {
      expect(clientAddress('10.0.0.1', '127.0.0.1, unknown', trusted)).toBe(UNKNOWN_CLIENT);
      expect(clientAddress('10.0.0.1', 'unknown, 198.51.100.7', trusted)).toBe('198.51.100.7');
    });

    it('should read hops with ports and brackets', () => {
      expect(clientAddress('10.0.0.1', '198.51.100.7:4431', trusted)).toBe('198.51.100.7');
      expect(clientAddress('10.0.0.1', '[2001:db8::7]:4431', trusted)).toBe('2001:db8::7');
      expect(clientAddress('10.0.0.1', '"[2001:db8::8]"', trusted)).toBe('2001:db8::8');
      expect(clientAddress('10.0.0.1', '::ffff:198.51.100.9', trusted)).toBe('198.51.100.9');
    });

    it('should take the left-most hop when every hop is a trusted proxy', () => {
      const chain = new AddressSet(['10.0.0.1', '10.0.0.2', '127.0.0.1']);
      expect(clientAddress('10.0.0.1', '10.0.0.2', chain)).toBe('10.0.0.2');
      expect(clientAddress('127.0.0.1', '127.0.0.1', chain)).toBe('127.0.0.1');
    });
  });
});
