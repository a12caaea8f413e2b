import {
  extractManagementKey,
  formatGoDuration,
  isBcryptHash,
} from '@app/management/management-key';

describe(extractManagementKey.name, () => {
  it('should take the key from a Bearer authorization, any case', () => {
    expect(extractManagementKey({ authorization: 'Bearer s3cret' })).toBe('s3cret');
    expect(extractManagementKey({ authorization: 'bearer  s3cret ' })).toBe('s3cret');
  });

  it('should take another Authorization value whole, as CLIProxyAPI does', () => {
    expect(extractManagementKey({ authorization: 's3cret' })).toBe('s3cret');
  });

  it('should fall back to X-Management-Key', () => {
    expect(extractManagementKey({ 'x-management-key': 'k2' })).toBe('k2');
    expect(extractManagementKey({ authorization: 'Bearer a', 'x-management-key': 'b' })).toBe('a');
  });

  it('should answer empty when no key is sent', () => {
    expect(extractManagementKey({})).toBe('');
  });
});

describe(isBcryptHash.name, () => {
  it('should recognise the hashes Go and bcryptjs write', () => {
    expect(isBcryptHash('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toBe(true);
    expect(isBcryptHash('$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toBe(true);
  });

  it('should treat anything else as plain text', () => {
    expect(isBcryptHash('my-password')).toBe(false);
    expect(isBcryptHash('$2a$10$short')).toBe(false);
    expect(isBcryptHash('')).toBe(false);
  });
});

describe(formatGoDuration.name, () => {
  it("should write durations as Go's time.Duration does", () => {
    expect(formatGoDuration(1799.6)).toBe('30m0s');
    expect(formatGoDuration(1799)).toBe('29m59s');
    expect(formatGoDuration(3600)).toBe('1h0m0s');
    expect(formatGoDuration(45)).toBe('45s');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(-3)).toBe('0s');
  });
});
