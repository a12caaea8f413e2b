import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildClaudeError,
  claudeErrorStatus,
  claudeErrorType,
  parseClaudeError,
} from '@app/llm/formats/claude/error';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const raw = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe(buildClaudeError.name, () => {
  it('should render the Claude error envelope', () => {
    expect(
      buildClaudeError({ status: 400, type: 'invalid_request_error', message: 'bad field' }),
    ).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'bad field' } });
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [402, 'billing_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'timeout_error'],
    [529, 'overloaded_error'],
    [418, 'invalid_request_error'],
  ])('should pick a Claude type from status %i for a type Claude lacks', (status, type) => {
    expect(buildClaudeError({ status, type: 'service_error', message: 'm' })).toMatchObject({
      error: { type },
    });
  });

  it('should keep Claude types whatever the status', () => {
    expect(claudeErrorType('overloaded_error', 503)).toBe('overloaded_error');
    expect(claudeErrorType('rate_limit_error', 500)).toBe('rate_limit_error');
  });
});

describe(parseClaudeError.name, () => {
  it.each([
    ['error-invalid-request.json', 400, 'invalid_request_error', 'max_tokens: Field required'],
    ['error-rate-limit.json', 429, 'rate_limit_error', expect.stringContaining('rate limit')],
    ['error-overloaded.json', 529, 'overloaded_error', 'Overloaded'],
  ])('should read %s', (name, status, type, message) => {
    expect(parseClaudeError(status, raw(name))).toEqual({ status, type, message });
  });

  it('should read OpenAI-style bodies from Claude-compatible hosts', () => {
    const body =
      '{"error":{"message":"Invalid API key","type":"invalid_api_key","code":"bad_key"}}';
    expect(parseClaudeError(401, body)).toEqual({
      status: 401,
      type: 'authentication_error',
      message: 'Invalid API key',
      code: 'bad_key',
    });
  });

  it('should fall back to the raw text, or the status when there is none', () => {
    expect(parseClaudeError(502, '<html>Bad gateway</html>\n')).toEqual({
      status: 502,
      type: 'api_error',
      message: '<html>Bad gateway</html>',
    });
    expect(parseClaudeError(500, '')).toEqual({
      status: 500,
      type: 'api_error',
      message: 'Upstream returned HTTP 500',
    });
  });

  it('should give stream error types their HTTP status', () => {
    expect(claudeErrorStatus('overloaded_error')).toBe(529);
    expect(claudeErrorStatus('rate_limit_error')).toBe(429);
    expect(claudeErrorStatus('something_new')).toBe(500);
  });
});
