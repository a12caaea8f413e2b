import { parsePastedCallback, withSplitCode } from '@app/oauth/login/callback-input';

describe(parsePastedCallback.name, () => {
  it('should read a full redirect URL', () => {
    expect(
      parsePastedCallback('  http://localhost:1455/auth/callback?code=abc&state=st-1&scope=x  '),
    ).toEqual({ code: 'abc', state: 'st-1', error: undefined });
  });

  it('should read the provider error and fall back to error_description', () => {
    expect(
      parsePastedCallback('http://localhost:8085/oauth2callback?error=access_denied&state=s'),
    ).toEqual({
      code: undefined,
      state: 's',
      error: 'access_denied',
    });
    expect(parsePastedCallback('http://x/cb?error_description=nope&state=s')?.error).toBe('nope');
  });

  it('should read parameters from a fragment', () => {
    expect(parsePastedCallback('http://localhost:54545/callback#code=c1&state=s1')).toMatchObject({
      code: 'c1',
      state: 's1',
    });
  });

  it('should read a bare query string', () => {
    expect(parsePastedCallback('?code=c2&state=s2')).toMatchObject({ code: 'c2', state: 's2' });
    expect(parsePastedCallback('code=c3&state=s3')).toMatchObject({ code: 'c3', state: 's3' });
  });

  it("should read Claude's code#state pair", () => {
    expect(parsePastedCallback('the-code#the-state')).toEqual({
      code: 'the-code',
      state: 'the-state',
    });
    expect(parsePastedCallback('only-code')).toEqual({ code: 'only-code', state: undefined });
  });

  it('should split a state appended to the code in a URL', () => {
    expect(parsePastedCallback('http://localhost:54545/callback?code=abc%23st')).toMatchObject({
      code: 'abc',
      state: 'st',
    });
  });

  it('should give nothing for text without a code or error', () => {
    expect(parsePastedCallback('')).toBeUndefined();
    expect(parsePastedCallback('http://localhost/callback?state=s')).toBeUndefined();
    expect(parsePastedCallback('http://[bad')).toBeUndefined();
  });
});

describe(withSplitCode.name, () => {
  it('should keep an explicit state over the one in the code', () => {
    expect(withSplitCode({ code: 'c#from-code', state: 'explicit' })).toEqual({
      code: 'c',
      state: 'explicit',
    });
  });
});
