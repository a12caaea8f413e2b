import { HostAddresses } from '@app/common/host-addresses';
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

    it('should reject entries that are neither addresses nor host names', () => {
      for (const bad of ['not a host', 'lb/24', '10.0.0.300', '-lb']) {
        expect(() => new AddressSet([bad])).toThrow(/Not an IP address, CIDR or host name/);
      }
    });

    it('should trust the addresses a host name resolves to, looked up again every 30 s', async () => {
      let now = 0;
      const answers: Record<string, string[]> = { lb: ['10.89.0.7'] };
      const lookups: string[] = [];
      const hosts = new HostAddresses(
        (name) => {
          lookups.push(name);
          return Promise.resolve(answers[name] ?? []);
        },
        () => now,
      );
      const sut = new AddressSet(['lb', '192.168.1.5'], hosts);
      expect(sut.has('10.89.0.7')).toBe(false); // not answered yet: trusts nothing
      await hosts.settle('lb');
      expect(sut.has('10.89.0.7')).toBe(true);
      expect(sut.has('::ffff:10.89.0.7')).toBe(true);
      expect(sut.has('10.89.0.8')).toBe(false);
      // The balancer restarted with another address.
      answers.lb = ['10.89.0.8'];
      now += 10_000;
      expect(sut.has('10.89.0.8')).toBe(false); // still the cached answer
      now += 25_000;
      sut.has('10.89.0.8'); // due: looked up in the background
      await hosts.settle('lb');
      expect(sut.has('10.89.0.8')).toBe(true);
      expect(sut.has('10.89.0.7')).toBe(false);
      expect(lookups).toEqual(['lb', 'lb']);
    });

    it('should keep the last answer when a lookup fails', async () => {
      let now = 0;
      let fail = false;
      const hosts = new HostAddresses(
        () => (fail ? Promise.reject(new Error('ENOTFOUND')) : Promise.resolve(['10.0.0.9'])),
        () => now,
      );
      const sut = new AddressSet(['lb'], hosts);
      await hosts.settle('lb');
      fail = true;
      now += 60_000;
      await hosts.settle('lb');
      expect(sut.has('10.0.0.9')).toBe(true);
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
