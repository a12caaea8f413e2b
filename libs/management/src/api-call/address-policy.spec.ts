import { refusedAddress, refusedHost } from '@app/management/api-call/address-policy';

describe(refusedAddress.name, () => {
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '::ffff:169.254.169.254',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    '100.100.100.200',
    'fd00:ec2::254',
  ])('should refuse %s', (ip) => {
    expect(refusedAddress(ip)).toMatch(/link-local or cloud metadata/);
  });

  it.each(['127.0.0.1', '::1', '10.0.0.5', '192.168.1.1', '8.8.8.8', 'fec0::1', 'not-an-ip'])(
    'should allow %s',
    (ip) => {
      expect(refusedAddress(ip)).toBeUndefined();
    },
  );
});

describe(refusedHost.name, () => {
  it('should refuse metadata host names whatever their case or trailing dot', () => {
    for (const host of ['metadata.google.internal', 'METADATA.Google.Internal.', 'metadata']) {
      expect(refusedHost(host)).toMatch(/cloud metadata host/);
    }
  });

  it('should refuse link-local literals as URL hosts spell them', () => {
    expect(refusedHost(new URL('http://169.254.169.254/latest').hostname)).toBeDefined();
    expect(refusedHost(new URL('http://[fe80::1]/').hostname)).toBeDefined();
    // The WHATWG parser turns decimal and hex forms into dotted quads first.
    expect(refusedHost(new URL('http://2852039166/').hostname)).toBeDefined();
    expect(refusedHost(new URL('http://0xa9.0xfe.0xa9.0xfe/').hostname)).toBeDefined();
  });

  it('should allow loopback and ordinary names', () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]', 'api.example.com']) {
      expect(refusedHost(host)).toBeUndefined();
    }
  });
});
