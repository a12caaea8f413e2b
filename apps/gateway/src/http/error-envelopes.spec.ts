import {
  BadRequestException,
  ForbiddenException,
  Logger,
  NotFoundException,
  type ArgumentsHost,
} from '@nestjs/common';
import {
  AppError,
  clusterError,
  controlError,
  logQueryError,
  loginError,
  managementDisabled,
  managementError,
} from '@app/common';
import { ErrorFilter } from '@app/gateway/http/error.filter';
import { loginReply } from '@app/gateway/oauth/login-reply';
import type { FastifyReply } from 'fastify';

/**
 * The error envelope of every surface, byte for byte (status, headers and the JSON text, key
 * order included): clients and the seed contracts read these bodies.
 */
class FakeReply {
  sent = false;
  statusCode = 200;
  body = '';
  headers: Record<string, string> = {};
  raw = { headersSent: false };

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  header(k: string, v: string): this {
    this.headers[k] = v;
    return this;
  }

  send(body: unknown): this {
    this.body = JSON.stringify(body);
    this.sent = true;
    return this;
  }
}

/** Render `e` as thrown on `url` (`matched`: whether a route matched it). */
function render(url: string, e: unknown, matched = true) {
  const reply = new FakeReply();
  const req = {
    id: 'req-1',
    url,
    is404: !matched,
    routeOptions: { url: matched ? url : undefined },
    raw: {},
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => req }),
  } as unknown as ArgumentsHost;
  new ErrorFilter(() => 2).catch(e, host);
  return { status: reply.statusCode, body: reply.body, headers: reply.headers };
}

const boom = new Error('secret internals');

beforeEach(() => {
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

describe('proxy error envelopes', () => {
  const openai = '/v1/chat/completions';
  const claude = '/v1/messages';
  const gemini = '/v1beta/models/gemini-2.5-pro:generateContent';

  it('should render OpenAI errors as {"error":{message,type,code}}', () => {
    expect(render(openai, AppError.of('INVALID_JSON', { detail: 'bad' }))).toEqual({
      status: 400,
      body: '{"error":{"message":"Request body is not valid JSON: bad","type":"invalid_request_error","code":null}}',
      headers: {},
    });
    expect(render(openai, AppError.of('AUTH_INVALID_KEY')).body).toBe(
      '{"error":{"message":"Invalid or missing API key","type":"authentication_error","code":null}}',
    );
    expect(render(openai, AppError.of('MODEL_NOT_ALLOWED', { model: 'm' })).body).toBe(
      '{"error":{"message":"This client key may not use model m; the operator lists its models under limits in config.yaml","type":"permission_error","code":"model_not_allowed"}}',
    );
    expect(render(openai, new NotFoundException('nope'))).toMatchObject({
      status: 404,
      body: '{"error":{"message":"nope","type":"not_found_error","code":null}}',
    });
    expect(render(openai, boom)).toMatchObject({
      status: 500,
      body: '{"error":{"message":"Internal error; the request id in x-request-id identifies it in the logs","type":"api_error","code":null}}',
    });
  });

  it('should render Claude errors as {"type":"error","error":{type,message}}', () => {
    expect(render(claude, new BadRequestException('x must be set'))).toMatchObject({
      status: 400,
      body: '{"type":"error","error":{"type":"invalid_request_error","message":"x must be set"}}',
    });
    expect(render(claude, AppError.of('MODEL_NOT_ALLOWED', { model: 'm' }))).toMatchObject({
      status: 403,
      body: '{"type":"error","error":{"type":"permission_error","message":"This client key may not use model m; the operator lists its models under limits in config.yaml"}}',
    });
    expect(render(claude, boom).body).toBe(
      '{"type":"error","error":{"type":"api_error","message":"Internal error; the request id in x-request-id identifies it in the logs"}}',
    );
  });

  it('should render Gemini errors as {"error":{code,message,status}}', () => {
    expect(render(gemini, AppError.of('INVALID_REQUEST', { detail: 'd' }))).toMatchObject({
      status: 400,
      body: '{"error":{"code":400,"message":"d","status":"INVALID_ARGUMENT"}}',
    });
    expect(render(gemini, AppError.of('AUTH_MISSING_KEY')).body).toBe(
      '{"error":{"code":401,"message":"Invalid or missing API key","status":"UNAUTHENTICATED"}}',
    );
    expect(render(gemini, new NotFoundException('n')).body).toBe(
      '{"error":{"code":404,"message":"n","status":"NOT_FOUND"}}',
    );
    expect(render(gemini, boom).body).toBe(
      '{"error":{"code":500,"message":"Internal error; the request id in x-request-id identifies it in the logs","status":"INTERNAL"}}',
    );
  });

  it('should render the gateway\'s own surfaces as {"error":{type,message}}', () => {
    expect(
      render('/nowhere', AppError.of('NOT_FOUND', { method: 'GET', path: '/nowhere' })),
    ).toMatchObject({
      status: 404,
      body: '{"error":{"type":"not_found_error","message":"No route for GET /nowhere; see GET / for the endpoints this gateway serves"}}',
    });
    expect(render('/status', AppError.of('SERVICE_UNAVAILABLE', { reason: 'r' }))).toMatchObject({
      status: 503,
      body: '{"error":{"type":"service_error","message":"r"}}',
    });
    expect(render('/status', AppError.of('MODEL_NOT_FOUND', { model: 'm' })).body).toBe(
      '{"error":{"type":"invalid_request_error","message":"unknown provider for model m","code":"model_not_found"}}',
    );
  });
});

describe('management error envelopes', () => {
  const url = '/v0/management/config';

  it('should render {"error": message} with the status and headers', () => {
    expect(render(url, managementError(400, 'bad value'))).toEqual({
      status: 400,
      body: '{"error":"bad value"}',
      headers: {},
    });
    expect(render(url, managementError(401, 'missing key', { 'retry-after': '5' }))).toEqual({
      status: 401,
      body: '{"error":"missing key"}',
      headers: { 'retry-after': '5' },
    });
    expect(render(url, new NotFoundException('no such file'))).toMatchObject({
      status: 404,
      body: '{"error":"no such file"}',
    });
    expect(render(url, boom)).toMatchObject({
      status: 500,
      body: '{"error":"internal error; the request id in x-request-id identifies it in the logs"}',
    });
  });

  it('should answer a disabled management API like an unknown route', () => {
    expect(render(url, managementDisabled('GET', url))).toMatchObject({
      status: 404,
      body: '{"error":{"type":"not_found_error","message":"Cannot GET /v0/management/config"}}',
    });
  });

  it('should answer an unknown management route like any unknown route', () => {
    const e = new NotFoundException('Cannot GET /v0/management/nope');
    expect(render('/v0/management/nope', e, false)).toMatchObject({
      status: 404,
      body: '{"error":{"type":"not_found_error","message":"Cannot GET /v0/management/nope"}}',
    });
  });
});

describe('control error envelopes', () => {
  const url = '/api/cliproxy/providers';

  it('should render {"error": title, "message": detail}', () => {
    const invalid = controlError(400, 'Invalid provider', 'p is unknown', { success: false });
    expect(render(url, invalid)).toEqual({
      status: 400,
      body: '{"success":false,"error":"Invalid provider","message":"p is unknown"}',
      headers: {},
    });
    const paused = controlError(409, 'Proxy paused', 'resume first', {}, { 'retry-after': '1' });
    expect(render(url, paused)).toEqual({
      status: 409,
      body: '{"error":"Proxy paused","message":"resume first"}',
      headers: { 'retry-after': '1' },
    });
    expect(render(url, managementError(403, 'read-only key')).body).toBe(
      '{"error":"Forbidden","message":"read-only key"}',
    );
    expect(render(url, new ForbiddenException('no')).body).toBe(
      '{"error":"Forbidden","message":"no"}',
    );
    expect(render(url, new NotFoundException('gone'))).toMatchObject({
      status: 404,
      body: '{"error":"Not found","message":"gone"}',
    });
    expect(render(url, managementError(418, 'teapot')).body).toBe(
      '{"error":"Request failed","message":"teapot"}',
    );
    expect(render(url, new Error('Connection is closed.'))).toMatchObject({
      status: 503,
      body: '{"error":"Redis unavailable","message":"Redis is unreachable; the shared state cannot be read or changed right now"}',
    });
    expect(render(url, boom)).toMatchObject({
      status: 500,
      body: '{"error":"Internal error","message":"the request id in x-request-id identifies it in the logs"}',
    });
  });
});

describe('cluster error envelopes', () => {
  const url = '/api/v1/processes/p1';

  it('should render {"error": message, "code": CODE}', () => {
    expect(render(url, logQueryError('INVALID_PATTERN', 'bad regex'))).toEqual({
      status: 400,
      body: '{"error":"bad regex","code":"INVALID_PATTERN"}',
      headers: {},
    });
    expect(render(url, new BadRequestException('nope')).body).toBe(
      '{"error":"nope","code":"BAD_REQUEST"}',
    );
    expect(render(url, clusterError('UNAUTHORIZED', 'key?'))).toMatchObject({
      status: 401,
      body: '{"error":"key?","code":"UNAUTHORIZED"}',
    });
    expect(render(url, clusterError('FORBIDDEN', 'ro'))).toMatchObject({
      status: 403,
      body: '{"error":"ro","code":"FORBIDDEN"}',
    });
    expect(render(url, clusterError('PROCESS_NOT_FOUND', 'p1?'))).toMatchObject({
      status: 404,
      body: '{"error":"p1?","code":"PROCESS_NOT_FOUND"}',
    });
    expect(render(url, new NotFoundException('x')).body).toBe('{"error":"x","code":"NOT_FOUND"}');
    expect(render(url, new Error('Command timed out'))).toMatchObject({
      status: 503,
      body: '{"error":"Redis is unreachable; the cluster state cannot be read","code":"REDIS_UNAVAILABLE"}',
    });
    expect(render(url, boom)).toMatchObject({
      status: 500,
      body: '{"error":"Internal error; the request id in x-request-id identifies it in the logs","code":"INTERNAL"}',
    });
  });
});

describe('login error envelopes', () => {
  async function login(e: Error) {
    const reply = new FakeReply();
    const body = await loginReply(reply as unknown as FastifyReply, () => Promise.reject(e));
    return { status: reply.statusCode, body: JSON.stringify(body) };
  }

  it('should render {"status":"error","error": message} with the extra fields first', async () => {
    expect(await login(loginError(400, 'bad state'))).toEqual({
      status: 400,
      body: '{"status":"error","error":"bad state"}',
    });
    expect(await login(loginError(404, 'unknown session'))).toEqual({
      status: 404,
      body: '{"status":"error","error":"unknown session"}',
    });
    expect(await login(loginError(409, 'dup', { existing_file: 'a.json' }))).toEqual({
      status: 409,
      body: '{"existing_file":"a.json","status":"error","error":"dup"}',
    });
    expect(await login(loginError(500, 'provider failed'))).toEqual({
      status: 500,
      body: '{"status":"error","error":"provider failed"}',
    });
    await expect(login(boom)).rejects.toBe(boom);
  });
});
