import { RelayError, RelayExchange, type ExchangeEnd } from '@app/proxy/relay/relay-exchange';

function exchange(
  over: { signal?: AbortSignal; headersTimeoutMs?: number; idleTimeoutMs?: number } = {},
) {
  const ends: ExchangeEnd[] = [];
  const sut = new RelayExchange({
    headersTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    ...over,
    onEnd: (how) => ends.push(how),
  });
  return { sut, ends };
}

describe(RelayExchange.name, () => {
  it('should answer an http_response with its status, headers and whole body', async () => {
    const { sut, ends } = exchange();
    sut.deliver({
      id: '1',
      type: 'http_response',
      payload: { status: 200, headers: { 'Content-Type': ['application/json'] }, body: '{"a":1}' },
    });
    const res = await sut.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({ 'content-type': 'application/json' });
    expect(await res.body.text()).toBe('{"a":1}');
    expect(ends).toEqual(['done']);
  });

  it('should stream chunks between stream_start and stream_end in order', async () => {
    const { sut, ends } = exchange();
    sut.deliver({ id: '1', type: 'stream_start', payload: { status: 200 } });
    const res = await sut.response;
    sut.deliver({ id: '1', type: 'stream_chunk', payload: { data: 'data: a\n\n' } });
    sut.deliver({ id: '1', type: 'stream_chunk', payload: { data: 'data: b\n\n' } });
    expect(ends).toEqual([]);
    sut.deliver({ id: '1', type: 'stream_end' });
    const chunks: string[] = [];
    for await (const c of res.body) chunks.push(String(c));
    expect(chunks.join('')).toBe('data: a\n\ndata: b\n\n');
    expect(ends).toEqual(['done']);
  });

  it('should open a 200 stream when a chunk comes without a start', async () => {
    const { sut } = exchange();
    sut.deliver({ id: '1', type: 'stream_chunk', payload: { data: 'x' } });
    sut.deliver({ id: '1', type: 'stream_end' });
    const res = await sut.response;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('x');
  });

  it('should turn an error with an HTTP status into that status with a Gemini error body', async () => {
    const { sut } = exchange();
    sut.deliver({ id: '1', type: 'error', payload: { error: 'quota exceeded', status: 429 } });
    const res = await sut.response;
    expect(res.statusCode).toBe(429);
    expect(JSON.parse(await res.body.text())).toEqual({
      error: { code: 429, message: 'quota exceeded' },
    });
  });

  it('should reject with a transport error for an error without a status', async () => {
    const { sut } = exchange();
    sut.deliver({ id: '1', type: 'error', payload: { error: 'socket gone' } });
    await expect(sut.response).rejects.toMatchObject({
      message: 'socket gone',
      code: 'RELAY_ERROR',
    });
  });

  it('should break the body when an error arrives mid-stream', async () => {
    const { sut } = exchange();
    sut.deliver({ id: '1', type: 'stream_start' });
    const res = await sut.response;
    sut.deliver({ id: '1', type: 'stream_chunk', payload: { data: 'partial' } });
    sut.deliver({ id: '1', type: 'error', payload: { error: 'cut' } });
    await expect(res.body.text()).rejects.toThrow('cut');
  });

  it("should time out without a first frame, with undici's header-timeout code", async () => {
    const { sut, ends } = exchange({ headersTimeoutMs: 20 });
    await expect(sut.response).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(ends).toEqual(['cancelled']);
  });

  it("should cut a silent stream with undici's body-timeout code", async () => {
    const { sut } = exchange({ idleTimeoutMs: 30 });
    sut.deliver({ id: '1', type: 'stream_start' });
    const res = await sut.response;
    await expect(res.body.text()).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('should cancel when the client aborts', async () => {
    const abort = new AbortController();
    const { sut, ends } = exchange({ signal: abort.signal });
    abort.abort();
    await expect(sut.response).rejects.toBeInstanceOf(RelayError);
    expect(ends).toEqual(['cancelled']);
    sut.deliver({ id: '1', type: 'http_response', payload: { body: 'late' } });
    expect(ends).toEqual(['cancelled']);
  });

  it('should cancel when the reader destroys the body early', async () => {
    const { sut, ends } = exchange();
    sut.deliver({ id: '1', type: 'stream_start' });
    const res = await sut.response;
    res.body.destroy();
    expect(ends).toEqual(['cancelled']);
  });
});
