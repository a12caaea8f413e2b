import { hostOfHeader, isForeignBrowserRequest } from '@app/common/local-browser';

describe(isForeignBrowserRequest.name, () => {
  const machine = 'build-host';

  it('should treat programs on this machine as local', () => {
    expect(isForeignBrowserRequest({ host: '127.0.0.1:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ host: 'localhost:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ host: '[::1]:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ host: 'build-host:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ host: '10.0.0.5:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({}, machine)).toBe(false);
  });

  it('should treat pages served from this machine as local', () => {
    const h = { host: '127.0.0.1:8317' };
    expect(isForeignBrowserRequest({ ...h, origin: 'http://localhost:3000' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ ...h, origin: 'http://127.0.0.1:8317' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ ...h, origin: 'http://[::1]:5173' }, machine)).toBe(false);
    expect(isForeignBrowserRequest({ ...h, 'sec-fetch-site': 'same-origin' }, machine)).toBe(false);
  });

  it('should refuse pages from other sites, null origins and cross-site fetches', () => {
    const h = { host: '127.0.0.1:8317' };
    expect(isForeignBrowserRequest({ ...h, origin: 'https://evil.example' }, machine)).toBe(true);
    expect(isForeignBrowserRequest({ ...h, origin: 'null' }, machine)).toBe(true);
    expect(isForeignBrowserRequest({ ...h, 'sec-fetch-site': 'cross-site' }, machine)).toBe(true);
  });

  it('should refuse a rebound host name (DNS rebinding sends no Origin)', () => {
    expect(isForeignBrowserRequest({ host: 'evil.example:8317' }, machine)).toBe(true);
    expect(isForeignBrowserRequest({ host: 'EVIL.example' }, machine)).toBe(true);
  });

  it('should read the host name of a Host header', () => {
    expect(hostOfHeader('example.com:8317')).toBe('example.com');
    expect(hostOfHeader('[::1]:80')).toBe('::1');
    expect(hostOfHeader('Example.COM')).toBe('example.com');
  });
});
