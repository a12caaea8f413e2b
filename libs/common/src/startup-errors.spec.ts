import { configFileProblem, listenProblem, redisProblem } from '@app/common/startup-errors';

function errno(code: string, message = `${code}: something`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe(listenProblem.name, () => {
  const at = { host: '0.0.0.0', port: 8317, portSetting: 'PORT', hostSetting: 'host' };

  it('should name the busy port, how to find its holder and the setting to change', () => {
    expect(listenProblem(errno('EADDRINUSE'), at)).toBe(
      'cannot listen on 0.0.0.0:8317: the port is already in use (EADDRINUSE). Stop what holds ' +
        "it (`ss -ltnp 'sport = :8317'` shows it) or set another port (PORT)",
    );
  });

  it('should explain privileged ports and unknown addresses', () => {
    expect(listenProblem(errno('EACCES'), { ...at, port: 80 })).toMatch(
      /:80: permission denied .*Set a port above 1023 \(PORT\)$/,
    );
    expect(listenProblem(errno('EADDRNOTAVAIL'), at)).toMatch(
      /no such address .*Set host to one of its addresses, or 0\.0\.0\.0 for all$/,
    );
  });

  it('should leave other errors to the caller', () => {
    expect(listenProblem(new Error('boom'), at)).toBeUndefined();
    expect(listenProblem(undefined, at)).toBeUndefined();
  });
});

describe(configFileProblem.name, () => {
  it('should say what is wrong with the path and what to set instead', () => {
    const path = '/etc/sb/config.yaml';
    expect(configFileProblem(errno('EACCES'), path)).toMatch(
      /^cannot use config file \/etc\/sb\/config\.yaml: permission denied .*read and write access.*or set CONFIG_PATH/,
    );
    expect(configFileProblem(errno('EROFS'), path)).toMatch(/read-only.*Mount it writable/);
    expect(configFileProblem(errno('ENOTDIR'), path)).toMatch(/part of the path is a file/);
    expect(configFileProblem(errno('EISDIR'), '/etc/sb')).toMatch(
      /it is a directory\. Point CONFIG_PATH at a file \(e\.g\. \/etc\/sb\/config\.yaml\)/,
    );
    expect(configFileProblem(errno('ENOSPC'), path)).toMatch(/no space left/);
  });

  it('should leave other errors (their own messages are clear) to the caller', () => {
    expect(configFileProblem(new Error('example cannot be read'), 'x')).toBeUndefined();
  });
});

describe(redisProblem.name, () => {
  const url = 'redis://:****@redis:6379';

  it('should tell to start Redis or fix REDIS_URL when nothing answers', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT']) {
      expect(redisProblem(errno(code, `connect ${code} 10.0.0.1:6379`), url)).toBe(
        `Redis at ${url} is unreachable (connect ${code} 10.0.0.1:6379). Start Redis there, or ` +
          'point REDIS_URL (or redis.url in config.yaml) at a running one; retrying meanwhile ' +
          '(the proxy serves from its last config)',
      );
    }
  });

  it('should tell to set the password when Redis refuses the credentials', () => {
    expect(redisProblem(new Error('WRONGPASS invalid username-password pair'), url)).toMatch(
      /refused the credentials .*Set the password in REDIS_URL/,
    );
    expect(redisProblem(new Error('NOAUTH Authentication required.'), url)).toMatch(/refused/);
  });

  it('should leave other errors alone', () => {
    expect(redisProblem(new Error('Connection is closed.'), url)).toBeUndefined();
  });
});
