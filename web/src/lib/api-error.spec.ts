import { errorMessage, isMissingRoute } from './api-error';

describe('errorMessage', () => {
  it('should read the management shape', () => {
    expect(errorMessage({ error: 'invalid management key' }, 401)).toBe('invalid management key');
  });

  it('should join a CLIProxyAPI error code and message', () => {
    expect(errorMessage({ error: 'invalid_config', message: 'port: expected number' }, 400)).toBe(
      'invalid_config: port: expected number',
    );
  });

  it('should read the wire-format shape', () => {
    expect(errorMessage({ error: { type: 'x', message: 'model not found' } }, 404)).toBe(
      'model not found',
    );
  });

  it('should fall back to the text, then the status', () => {
    expect(errorMessage('  plain failure  ', 500)).toBe('plain failure');
    expect(errorMessage(undefined, 502)).toBe('HTTP 502');
    expect(errorMessage(undefined, 0)).toMatch(/could not be reached/);
  });
});

describe('isMissingRoute', () => {
  it('should recognise an unknown route', () => {
    const body = { error: { type: 'not_found_error', message: 'Cannot GET /v0/management/x' } };
    expect(isMissingRoute(404, body)).toBe(true);
  });

  it('should not confuse a route answering not found with a missing route', () => {
    expect(isMissingRoute(404, { error: 'file not found' })).toBe(false);
    expect(isMissingRoute(400, { error: { message: 'Cannot GET /x' } })).toBe(false);
  });
});
