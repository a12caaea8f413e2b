import {
  canonicalHeaderKey,
  outgoingHeaders,
  parseApiCallBody,
  responseHeaders,
  usesToken,
} from '@app/management/api-call/api-call.request';

describe(parseApiCallBody.name, () => {
  it('should read a full body', () => {
    const r = parseApiCallBody({
      auth_index: ' abc ',
      method: 'post',
      url: 'https://api.example.com/v1/ping?x=1',
      header: { Authorization: 'Bearer $TOKEN$', 'X-N': 5 },
      data: '{"a":1}',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.input).toEqual({
      authIndex: 'abc',
      method: 'POST',
      url: new URL('https://api.example.com/v1/ping?x=1'),
      header: { Authorization: 'Bearer $TOKEN$', 'X-N': '5' },
      data: '{"a":1}',
    });
  });

  it('should accept authIndex and AuthIndex and send non-string data as JSON', () => {
    const a = parseApiCallBody({ authIndex: 'x', method: 'GET', url: 'http://h/' });
    const b = parseApiCallBody({ AuthIndex: 'y', method: 'PUT', url: 'http://h/', data: { k: 1 } });
    expect(a.ok && a.input.authIndex).toBe('x');
    expect(b.ok && b.input).toMatchObject({ authIndex: 'y', data: '{"k":1}' });
    const none = parseApiCallBody({ method: 'GET', url: 'http://h/', data: '' });
    expect(none.ok && 'data' in none.input).toBe(false);
  });

  it.each([
    [null, /expected a JSON object/],
    [[], /expected a JSON object/],
    [{ url: 'http://h/' }, 'missing method'],
    [{ method: 'TRACE', url: 'http://h/' }, 'unsupported method TRACE'],
    [{ method: 'GET' }, 'missing url'],
    [{ method: 'GET', url: 'not a url' }, 'invalid url'],
    [{ method: 'GET', url: 'file:///etc/passwd' }, /only http and https/],
    [{ method: 'GET', url: 'ftp://h/x' }, /only http and https/],
    [{ method: 'GET', url: 'http://u:p@h/' }, /credentials in the URL/],
    [{ method: 'GET', url: 'http://h/', header: ['x'] }, /invalid header/],
    [{ method: 'GET', url: 'http://h/', header: { A: { b: 1 } } }, /invalid header A/],
  ])('should refuse %j', (body, error) => {
    const r = parseApiCallBody(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

describe(outgoingHeaders.name, () => {
  it('should replace every $TOKEN$ and drop hop-by-hop headers', () => {
    const input = {
      Authorization: 'Bearer $TOKEN$',
      'X-Both': '$TOKEN$:$TOKEN$',
      'X-Plain': 'v',
      Connection: 'close',
      'Content-Length': '5',
      'Transfer-Encoding': 'chunked',
    };
    expect(outgoingHeaders(input, 'sk-123')).toEqual({
      Authorization: 'Bearer sk-123',
      'X-Both': 'sk-123:sk-123',
      'X-Plain': 'v',
    });
    expect(input.Authorization).toBe('Bearer $TOKEN$');
  });

  it('should leave values alone without a token', () => {
    expect(outgoingHeaders({ A: '$TOKEN$' }, undefined)).toEqual({ A: '$TOKEN$' });
  });
});

describe(usesToken.name, () => {
  it('should spot the placeholder in any value', () => {
    expect(usesToken({ A: 'x', B: 'Bearer $TOKEN$' })).toBe(true);
    expect(usesToken({ A: '$TOKEN', B: 'TOKEN$' })).toBe(false);
  });
});

describe(responseHeaders.name, () => {
  it("should answer Go's canonical keys with lists of values", () => {
    expect(
      responseHeaders({
        'content-type': 'application/json',
        'set-cookie': ['a', 'b'],
        x: undefined,
      }),
    ).toEqual({ 'Content-Type': ['application/json'], 'Set-Cookie': ['a', 'b'] });
    expect(canonicalHeaderKey('x-request-ID')).toBe('X-Request-Id');
  });
});
