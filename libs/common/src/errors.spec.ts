import {
  AppError,
  clusterError,
  controlError,
  ERRORS,
  logQueryError,
  loginError,
  managementDisabled,
  managementError,
  type ErrorCode,
} from '@app/common/errors';

const SURFACES = ['proxy', 'management', 'control', 'cluster', 'login', 'logs'];

describe('error registry', () => {
  it('should namespace every code by a surface and give it an error status and a type', () => {
    for (const [code, def] of Object.entries(ERRORS)) {
      expect(SURFACES).toContain(code.split('.')[0]);
      expect(def.status).toBeGreaterThanOrEqual(400);
      expect(def.status).toBeLessThan(600);
      expect(def.type).toMatch(/_error$/);
    }
  });

  it('should carry the code, its surface, status and wire code', () => {
    const e = AppError.of('MODEL_COOLDOWN', { model: 'm' }, { headers: { 'retry-after': '3' } });
    expect(e).toMatchObject({
      errorCode: 'proxy.MODEL_COOLDOWN',
      surface: 'proxy',
      status: 429,
      code: 'model_cooldown',
      headers: { 'retry-after': '3' },
    });
    expect(clusterError('PROCESS_NOT_FOUND', 'x')).toMatchObject({
      status: 404,
      code: 'PROCESS_NOT_FOUND',
    });
    expect(logQueryError('INVALID_PATTERN', 'x')).toMatchObject({ surface: 'logs', status: 400 });
  });

  it('should pick the code of a free-text surface by status, keeping a status it has no code for', () => {
    expect(managementError(404, 'gone').errorCode).toBe<ErrorCode>('management.NOT_FOUND');
    expect(controlError(409, 'Proxy paused', 'resume').errorCode).toBe<ErrorCode>(
      'control.CONFLICT',
    );
    const odd = loginError(418, 'teapot');
    expect(odd).toMatchObject({
      errorCode: 'login.FAILED',
      status: 418,
      type: 'invalid_request_error',
    });
    expect(managementError(502, 'upstream').type).toBe('api_error');
    expect(managementDisabled('GET', '/v0/management/x')).toMatchObject({
      errorCode: 'management.DISABLED',
      status: 404,
      message: 'Cannot GET /v0/management/x',
    });
  });

  it('should hand the pipeline plain data, message included', () => {
    expect(AppError.of('NO_UPSTREAM').toWire()).toEqual({
      status: 502,
      type: 'api_error',
      message: 'No upstream answered',
    });
    expect(AppError.of('UPSTREAM_TIMEOUT', { detail: 'slow' }).toWire()).toEqual({
      status: 504,
      type: 'timeout_error',
      message: 'slow',
    });
    expect(AppError.of('MODEL_COOLDOWN', { model: 'm' }).toWire().code).toBe('model_cooldown');
  });

  it('should tell surfaces apart', () => {
    expect(AppError.is(managementError(400, 'x'), 'management')).toBe(true);
    expect(AppError.is(managementError(400, 'x'), 'control')).toBe(false);
    expect(AppError.is(new Error('x'), 'management')).toBe(false);
  });
});
