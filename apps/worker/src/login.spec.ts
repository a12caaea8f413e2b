import { PassThrough } from 'node:stream';
import { parseLoginArgs, runLogin } from '@app/worker/login';

describe(parseLoginArgs.name, () => {
  it('should read every option', () => {
    expect(
      parseLoginArgs([
        '--provider',
        'gemini',
        '-c',
        '/etc/sb/config.yaml',
        '--project-id',
        'ALL',
        '--no-listen',
        '--timeout',
        '30',
      ]),
    ).toEqual({
      provider: 'gemini',
      config: '/etc/sb/config.yaml',
      projectId: 'ALL',
      iflowCookie: undefined,
      listen: false,
      timeoutSec: 30,
      help: false,
    });
  });

  it('should default to listening for ten minutes', () => {
    expect(parseLoginArgs(['-p', 'codex'])).toMatchObject({ listen: true, timeoutSec: 600 });
  });

  it('should refuse unknown options and a bad timeout', () => {
    expect(() => parseLoginArgs(['--provider', 'codex', '--port', '1'])).toThrow(/--port/);
    expect(() => parseLoginArgs(['--timeout', 'soon'])).toThrow(/--timeout must be/);
  });
});

describe(runLogin.name, () => {
  function io() {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    return { stdin: new PassThrough(), stdout, stderr, env: {}, out: () => out, err: () => err };
  }

  it('should print the usage for --help', async () => {
    const s = io();
    expect(await runLogin(['--help'], s)).toBe(0);
    expect(s.out()).toContain('npm run login -- --provider');
  });

  it('should exit 2 without a provider', async () => {
    const s = io();
    expect(await runLogin([], s)).toBe(2);
    expect(s.err()).toContain('--provider is required');
  });
});
