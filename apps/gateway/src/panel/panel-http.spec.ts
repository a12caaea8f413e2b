import {
  PANEL_CSP,
  acceptsGzip,
  contentTypeOf,
  isAssetName,
  isFresh,
} from '@app/gateway/panel/panel-http';

describe('panel http', () => {
  it('should allow only the gateway itself in the CSP, with no inline code', () => {
    expect(PANEL_CSP).toContain("default-src 'none'");
    expect(PANEL_CSP).toContain("script-src 'self'");
    expect(PANEL_CSP).toContain("connect-src 'self'");
    expect(PANEL_CSP).toContain("frame-ancestors 'none'");
    expect(PANEL_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|data:|\*/);
  });

  it('should name the content type of each built file', () => {
    expect(contentTypeOf('management.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('management-DRJ1sgIK.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('style-abc.CSS')).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('favicon-x.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('blob')).toBe('application/octet-stream');
  });

  it('should accept only plain file names as assets', () => {
    expect(isAssetName('management-DRJ1sgIK.js')).toBe(true);
    for (const bad of [
      '..',
      '.env',
      '../x.js',
      'a/b.js',
      'a\\b.js',
      'x\0.js',
      '',
      'x'.repeat(201),
    ]) {
      expect(isAssetName(bad)).toBe(false);
    }
  });

  it('should read Accept-Encoding including q=0 refusals', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('should match If-None-Match lists, weak tags and the wildcard', () => {
    expect(isFresh('"a", "b"', '"b"')).toBe(true);
    expect(isFresh('W/"b"', '"b"')).toBe(true);
    expect(isFresh('*', '"b"')).toBe(true);
    expect(isFresh('"a"', '"b"')).toBe(false);
    expect(isFresh(undefined, '"b"')).toBe(false);
  });
});
