import { isLoggedPath, StreamCapture } from '@app/proxy/exchange-capture';

describe(StreamCapture.name, () => {
  it('should keep every chunk while under the cap, in order', () => {
    const sut = new StreamCapture(100);
    sut.push('data: a\n\n');
    sut.push('data: b\n\n');
    expect(sut.text()).toBe('data: a\n\ndata: b\n\n');
  });

  it('should keep the part of a chunk that fits and count what was left out', () => {
    const sut = new StreamCapture(10);
    sut.push('123456');
    sut.push('7890abcd'); // 4 fit, 4 cut
    sut.push('efgh'); // all cut
    expect(sut.text()).toBe('1234567890\n[… 8 more characters of the stream not kept]');
  });

  it('should note nothing when the output fits exactly', () => {
    const sut = new StreamCapture(4);
    sut.push('ab');
    sut.push('cd');
    expect(sut.text()).toBe('abcd');
  });
});

describe(isLoggedPath.name, () => {
  it('should log proxy traffic, including the provider aliases', () => {
    for (const url of [
      '/v1/chat/completions',
      '/v1/messages?beta=true',
      '/v1beta/models/gemini-pro:generateContent',
      '/v1internal:generateContent',
      '/api/provider/openai/v1/chat/completions',
      '/unknown/route',
    ]) {
      expect(isLoggedPath(url)).toBe(true);
    }
  });

  it('should leave out the management, control and cluster APIs', () => {
    for (const url of [
      '/v0/management/config',
      '/management.html',
      '/api/cliproxy/proxy-stop',
      '/api/v1/shutdown',
      '/api/provider',
    ]) {
      expect(isLoggedPath(url)).toBe(false);
    }
  });
});
