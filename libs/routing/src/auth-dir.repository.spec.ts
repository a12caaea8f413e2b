import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthDirRepository,
  expandAuthDir,
  validateAuthFileName,
} from '@app/routing/auth-dir.repository';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

describe(validateAuthFileName.name, () => {
  it.each(['claude-user@example.com.json', 'gemini-a.b+c@x.io-proj-1.json', 'codex_1.JSON'])(
    'should accept %p',
    (name) => {
      expect(validateAuthFileName(name)).toBe(name);
    },
  );

  it.each([
    ['', 'empty'],
    ['../x.json', '..'],
    ['a..b.json', '..'],
    ['dir/x.json', 'separator'],
    ['dir\\x.json', 'separator'],
    ['x\0.json', 'NUL'],
    ['x.txt', '.json'],
    ['.hidden.json', 'dot'],
    ['sp ace.json', 'characters'],
    [`${'a'.repeat(260)}.json`, '255'],
  ])('should reject %p (%s)', (name, reason) => {
    expect(() => validateAuthFileName(name)).toThrow(reason);
  });
});

describe(expandAuthDir.name, () => {
  it('should expand ~ and resolve relative paths', () => {
    expect(expandAuthDir('~', '/home/u')).toBe('/home/u');
    expect(expandAuthDir('~/.cli-proxy-api', '/home/u')).toBe('/home/u/.cli-proxy-api');
    expect(expandAuthDir('/abs/dir')).toBe('/abs/dir');
    expect(expandAuthDir('rel')).toBe(join(process.cwd(), 'rel'));
  });
});

describe(AuthDirRepository.name, () => {
  let dir: string;
  let sut: AuthDirRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-authdir-'));
    sut = new AuthDirRepository(dir, { debounceMs: 50, pollMs: 50 });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should list only .json files, sorted, and read them', async () => {
    writeFileSync(join(dir, 'b.json'), '{"b":1}');
    writeFileSync(join(dir, 'a.json'), '{"a":1}');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, '.tmp.json'), '{}');
    mkdirSync(join(dir, 'sub.json'));
    expect(await sut.list()).toEqual(['a.json', 'b.json']);
    expect(await sut.readAll()).toEqual([
      { name: 'a.json', text: '{"a":1}' },
      { name: 'b.json', text: '{"b":1}' },
    ]);
    expect(await sut.read('a.json')).toBe('{"a":1}');
  });

  it('should list nothing when the directory does not exist', async () => {
    expect(await new AuthDirRepository(join(dir, 'missing')).list()).toEqual([]);
  });

  it('should write atomically with mode 0600 and leave no temp file', async () => {
    await sut.writeAtomic('codex-x.json', { type: 'codex', access_token: 't' });
    const path = join(dir, 'codex-x.json');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ type: 'codex', access_token: 't' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['codex-x.json']);
    await sut.writeAtomic('codex-x.json', '{"replaced":true}');
    expect(readFileSync(path, 'utf8')).toBe('{"replaced":true}');
  });

  it('should create the directory on write', async () => {
    const nested = new AuthDirRepository(join(dir, 'new'));
    await nested.writeAtomic('a.json', {});
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o700);
  });

  it('should refuse unsafe names on write, read and remove', async () => {
    await expect(sut.writeAtomic('../escape.json', {})).rejects.toThrow('..');
    await expect(sut.read('/etc/passwd')).rejects.toThrow('separator');
    await expect(sut.remove('x.txt')).rejects.toThrow('.json');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('should remove a file and ignore a missing one', async () => {
    writeFileSync(join(dir, 'a.json'), '{}');
    await sut.remove('a.json');
    await sut.remove('a.json');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([false, true])(
    'should report a burst of changes once (polling: %p)',
    async (forcePolling) => {
      const repo = new AuthDirRepository(dir, { debounceMs: 50, pollMs: 40, forcePolling });
      let calls = 0;
      const stop = repo.watch(() => calls++);
      await sleep(100); // let the poller take its first listing
      await repo.writeAtomic('a.json', { n: 1 });
      await repo.writeAtomic('b.json', { n: 2 });
      await until(() => calls > 0);
      await sleep(200);
      expect(calls).toBe(1);
      writeFileSync(join(dir, 'a.json'), '{"n":3,"longer":true}');
      await until(() => calls > 1);
      stop();
      const after = calls;
      writeFileSync(join(dir, 'c.json'), '{}');
      await sleep(200);
      expect(calls).toBe(after);
    },
  );

  it('should fall back to polling when the directory cannot be watched', async () => {
    const missing = join(dir, 'later');
    const repo = new AuthDirRepository(missing, { debounceMs: 20, pollMs: 30 });
    let calls = 0;
    const stop = repo.watch(() => calls++);
    await sleep(80);
    mkdirSync(missing);
    writeFileSync(join(missing, 'a.json'), '{}');
    await until(() => calls > 0);
    stop();
  });
});

describe(`${AuthDirRepository.name} update`, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-authdir-update-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should rewrite a file with what the edit returns, and leave it alone when the edit declines', async () => {
    const sut = new AuthDirRepository(dir);
    writeFileSync(join(dir, 'a.json'), '{"n":1}');
    expect(await sut.update('a.json', (t) => JSON.stringify({ n: JSON.parse(t).n + 1 }))).toBe(
      'written',
    );
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"n":2}');
    expect(statSync(join(dir, 'a.json')).mode & 0o777).toBe(0o600);
    expect(await sut.update('a.json', () => undefined)).toBe('unchanged');
    expect(await sut.update('gone.json', (t) => t)).toBe('missing');
  });

  it('should never follow a symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'sb-authdir-outside-'));
    try {
      writeFileSync(join(outside, 'target.json'), '{"secret":true}');
      symlinkSync(join(outside, 'target.json'), join(dir, 'link.json'));
      const sut = new AuthDirRepository(dir);
      expect(await sut.update('link.json', () => '{}')).toBe('missing');
      expect(readFileSync(join(outside, 'target.json'), 'utf8')).toBe('{"secret":true}');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('should re-apply the edit on the fresh text when the store refuses a stale version', async () => {
    const stored = new Map([['a.json', { text: '{"n":1}', version: 1 }]]);
    const backend = {
      authFiles: () => [...stored].map(([name, f]) => ({ name, text: f.text })),
      readAuth: (name: string) => Promise.resolve(stored.get(name)),
      putAuth: (name: string, text: string, base?: number) => {
        const cur = stored.get(name);
        if (base !== undefined && (cur?.version ?? 0) !== base) {
          return Promise.resolve({ ok: false as const, currentVersion: cur?.version ?? 0 });
        }
        stored.set(name, { text, version: (cur?.version ?? 0) + 1 });
        return Promise.resolve({ ok: true as const, version: (cur?.version ?? 0) + 1 });
      },
      deleteAuth: (name: string) => Promise.resolve(stored.delete(name)),
    };
    const sut = new AuthDirRepository(dir, {}, backend);
    let calls = 0;
    const outcome = await sut.update('a.json', (t) => {
      calls++;
      // Another writer gets in between the first read and its write.
      if (calls === 1) stored.set('a.json', { text: '{"n":1,"other":true}', version: 2 });
      return JSON.stringify({ ...JSON.parse(t), mine: true });
    });
    expect(outcome).toBe('written');
    expect(calls).toBe(2);
    expect(JSON.parse(stored.get('a.json')!.text)).toEqual({ n: 1, other: true, mine: true });
    expect(sut.storeBacked).toBe(true);
    expect(await sut.readAll()).toEqual([{ name: 'a.json', text: stored.get('a.json')!.text }]);
    expect(await sut.remove('a.json')).toBe(true);
    expect(await sut.remove('a.json')).toBe(false);
    // Nothing was written into the dir itself: the store mirrors, not this repository.
    expect(readdirSync(dir)).toEqual([]);
  });
});
