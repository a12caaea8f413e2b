import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { runLogin } from '@app/worker/login';
import { CredentialService, parseAuthFile, type Credential } from '@app/routing';
import { FakeUpstream } from '@test/fakes';
import { FakeLoginIdp } from '@test/fakes/oauth/login-idp';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';

const CLIENT_KEY = 'sk-client-login';
const MGMT_KEY = 'mgmt-login-secret';

/** A management answer (fields read as strings; assertions check the real types). */
type Json = Record<string, string>;

/**
 * Every login flow end to end against the fake identity provider: the test plays the browser
 * (follows the authorize redirect to a callback on replica B while replica A started the login),
 * pastes redirect URLs, approves device codes. Each login must leave an auth file that routing
 * parses into a credential the proxy then uses successfully against FakeUpstream.
 */
describe('OAuth logins (two replicas, fake identity provider)', () => {
  let fake: FakeUpstream;
  let idp: FakeLoginIdp;
  let authDir: string;
  let a: TestGateway;
  let b: TestGateway;
  let prefix: string;

  function yaml(redirects: Record<string, string>): string {
    return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${prefix}"
auth-dir: "${authDir}"
remote-management:
  secret-key: "${MGMT_KEY}"
provider-base-urls:
  gemini-cli: "${fake.url}"
  antigravity: "${fake.url}"
  claude: "${fake.url}"
  codex: "${fake.url}/backend-api/codex"
  iflow: "${fake.url}/v1"
  kimi: "${fake.url}/coding/v1"
${idp.endpointsYaml(redirects, fake.url)}
`;
  }

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    idp = await FakeLoginIdp.start({ qwenResourceUrl: fake.url });
    authDir = mkdtempSync(join(tmpdir(), 'sb-login-'));
    prefix = uniquePrefix('login');
    // B is where browsers land; A starts the logins and registers B's callbacks as redirects.
    b = await startGateway(yaml({}), 'gateway-login-b');
    a = await startGateway(
      yaml({
        claude: `${b.url}/anthropic/callback`,
        'gemini-cli': `${b.url}/google/callback`,
        antigravity: `${b.url}/antigravity/callback`,
        iflow: `${b.url}/iflow/callback`,
        // codex keeps its real localhost:1455 redirect: that one is pasted by hand.
      }),
      'gateway-login-a',
    );
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await idp?.close();
    await fake?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  async function mgmt(gw: TestGateway, path: string, init: RequestInit = {}) {
    const res = await fetch(`${gw.url}/v0/management/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${MGMT_KEY}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  /** Play the browser at the provider: returns where it redirects back to. */
  async function authorize(url: string): Promise<string> {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return res.headers.get('location') as string;
  }

  /** The credential the file parses into, once replica A (which did not write it) serves it. */
  async function servedByA(fileName: string): Promise<Credential> {
    const text = readFileSync(join(authDir, fileName), 'utf8');
    const parsed = parseAuthFile(fileName, text);
    const creds = a.app.get(CredentialService);
    await waitFor(() => creds.snapshot().credentials.find((c) => c.fileName === fileName), {
      what: `replica A to load ${fileName}`,
    });
    return parsed;
  }

  /** One chat through replica A; returns the credential key FakeUpstream saw. */
  async function chat(model: string): Promise<string | undefined> {
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `hi ${model}` }],
    });
    expect(res.choices[0].message.content).toBe(`echo: hi ${model}`);
    return fake.lastRequest()?.apiKey;
  }

  function fileMode(name: string): number {
    return statSync(join(authDir, name)).mode & 0o777;
  }

  it('should refuse to start a login without the management key', async () => {
    const res = await fetch(`${a.url}/v0/management/anthropic-auth-url`);
    expect(res.status).toBe(401);
  });

  it('should sign a Claude account in with PKCE when the browser lands on the other replica', async () => {
    const start = await mgmt(a, 'anthropic-auth-url');
    expect(start.status).toBe(200);
    expect(start.body).toEqual({
      status: 'ok',
      url: expect.any(String),
      state: expect.any(String),
    });
    const authUrl = new URL(start.body.url);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('state')).toBe(start.body.state);
    expect((await mgmt(b, `get-auth-status?state=${start.body.state}`)).body).toEqual({
      status: 'wait',
    });

    const landing = await authorize(start.body.url);
    expect(landing.startsWith(`${b.url}/anthropic/callback?`)).toBe(true);
    const page = await fetch(landing);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('You can close this window');

    const status = await mgmt(a, `get-auth-status?state=${start.body.state}`);
    expect(status.body).toEqual({ status: 'ok', file: 'claude-max@example.com.json' });
    expect(fileMode('claude-max@example.com.json')).toBe(0o600);
    const cred = await servedByA('claude-max@example.com.json');
    expect(cred.provider).toBe('claude');
    expect(cred.email).toBe('max@example.com');
    expect(cred.secret.refreshToken).toMatch(/^rt-claude-/);
    expect(await chat('claude-sonnet-4-5-20250929')).toBe(cred.secret.accessToken);

    // The same redirect again (a reload, a replay): refused, and the code is never re-exchanged.
    const replay = await fetch(landing);
    expect(replay.status).toBe(409);
    expect(await replay.text()).toContain('already completed');
    const code = new URL(landing).searchParams.get('code') as string;
    expect(idp.exchangesOf(code)).toBe(1);
  });

  it('should finish a Codex login from a pasted redirect URL and name the file by email and plan', async () => {
    const start = await mgmt(a, 'codex-auth-url');
    const params = new URL(start.body.url).searchParams;
    expect(params.get('codex_cli_simplified_flow')).toBe('true');
    expect(params.get('redirect_uri')).toBe('http://localhost:1455/auth/callback');
    // The browser cannot open localhost:1455 on the server; the user copies the address bar.
    const landing = await authorize(start.body.url);
    expect(landing.startsWith('http://localhost:1455/auth/callback?')).toBe(true);

    const posted = await mgmt(b, 'oauth-callback', {
      method: 'POST',
      body: JSON.stringify({ provider: 'codex', redirect_url: landing }),
    });
    expect(posted).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await mgmt(a, `get-auth-status?state=${start.body.state}`)).body.status).toBe('ok');

    const cred = await servedByA('codex-plus@example.com-plus.json');
    expect(cred.provider).toBe('codex');
    expect(cred.planType).toBe('plus');
    expect(cred.secret.accountId).toBe('acct-login-1');
    expect(await chat('gpt-5-codex')).toBe(cred.secret.accessToken);

    // Pasting it a second time is refused with 409, no second exchange.
    const again = await mgmt(b, 'oauth-callback', {
      method: 'POST',
      body: JSON.stringify({ provider: 'codex', redirect_url: landing }),
    });
    expect(again.status).toBe(409);
    expect(again.body.status).toBe('error');
    expect(idp.exchangesOf(new URL(landing).searchParams.get('code') as string)).toBe(1);
  });

  it('should sign a Gemini CLI account in and find its project through Code Assist', async () => {
    const start = await mgmt(a, 'gemini-cli-auth-url');
    const q = new URL(start.body.url).searchParams;
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    const landing = await authorize(start.body.url);
    expect(landing.startsWith(`${b.url}/google/callback?`)).toBe(true);
    expect((await fetch(landing)).status).toBe(200);

    const name = 'gemini-cli@example.com-fake-project-123456.json';
    const file = JSON.parse(readFileSync(join(authDir, name), 'utf8')) as Json;
    expect(file).toMatchObject({
      type: 'gemini',
      email: 'cli@example.com',
      project_id: 'fake-project-123456',
      auto: true,
      token: { refresh_token: expect.stringMatching(/^rt-gemini-cli-/), token_type: 'Bearer' },
    });
    const codeAssist = fake.requests().filter((r) => r.route === 'code-assist-account');
    expect(codeAssist.length).toBeGreaterThanOrEqual(2); // loadCodeAssist, then onboardUser
    const cred = await servedByA(name);
    expect(cred.provider).toBe('gemini-cli');
    expect(cred.secret.projectId).toBe('fake-project-123456');
    fake.clearRequests();
    expect(await chat('gemini-2.5-pro')).toBe(cred.secret.accessToken);
  });

  it('should sign an Antigravity account in with its email and project', async () => {
    const start = await mgmt(a, 'antigravity-auth-url');
    const landing = await authorize(start.body.url);
    expect(landing.startsWith(`${b.url}/antigravity/callback?`)).toBe(true);
    expect((await fetch(landing)).status).toBe(200);
    const cred = await servedByA('antigravity-agy@example.com.json');
    expect(cred.provider).toBe('antigravity');
    expect(cred.secret.projectId).toBe('fake-project-123456');
    fake.clearRequests();
    expect(await chat('gemini-pro-agent')).toBe(cred.secret.accessToken);
  });

  it('should sign an iFlow account in and keep the API key its user info returns', async () => {
    const start = await mgmt(a, 'iflow-auth-url');
    expect(new URL(start.body.url).searchParams.get('redirect')).toBe(`${b.url}/iflow/callback`);
    const landing = await authorize(start.body.url);
    expect((await fetch(landing)).status).toBe(200);
    const cred = await servedByA('iflow-i@example.com.json');
    expect(cred.provider).toBe('iflow');
    expect(cred.secret.apiKey).toBe('sk-iflow-login-key');
    expect(await chat('glm-4.6')).toBe('sk-iflow-login-key');
  });

  it('should turn an iFlow web cookie into an auth file once and refuse the same cookie again', async () => {
    const first = await mgmt(a, 'iflow-auth-url', {
      method: 'POST',
      body: JSON.stringify({ cookie: 'BXAuth=cookie-login-1; theme=dark' }),
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'ok', email: 'i@example.com', type: 'iflow' });
    const saved = String(first.body.saved_path);
    const name = saved.slice(saved.lastIndexOf('/') + 1);
    expect(name).toMatch(/^iflow-i@example\.com-\d+\.json$/);
    const file = JSON.parse(readFileSync(saved, 'utf8')) as Json;
    expect(file).toMatchObject({ type: 'iflow', cookie: 'BXAuth=cookie-login-1;' });
    expect((await servedByA(name)).secret.apiKey).toBe('sk-iflow-login-key');

    const dup = await mgmt(b, 'iflow-auth-url', {
      method: 'POST',
      body: JSON.stringify({ cookie: 'BXAuth=cookie-login-1' }),
    });
    expect(dup).toEqual({
      status: 409,
      body: { status: 'error', error: 'duplicate BXAuth found', existing_file: name },
    });
  });

  it('should complete a Qwen device login polled in the background', async () => {
    const start = await mgmt(a, 'qwen-auth-url');
    expect(start.body).toMatchObject({
      status: 'ok',
      flow: 'device',
      user_code: expect.any(String),
    });
    expect(start.body.url).toContain(`user_code=${start.body.user_code}`);
    expect((await mgmt(b, `get-auth-status?state=${start.body.state}`)).body.status).toBe('wait');

    idp.approveDevice(start.body.user_code);
    const done = await waitFor(
      async () => {
        const s = await mgmt(b, `get-auth-status?state=${start.body.state}`);
        return s.body.status === 'wait' ? undefined : s.body;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'the Qwen device login' },
    );
    expect(done).toEqual({ status: 'ok', file: expect.stringMatching(/^qwen-\d+\.json$/) });
    const cred = await servedByA(done.file);
    expect(cred.provider).toBe('qwen');
    expect(cred.secret.resourceUrl).toBe(fake.url);
    expect(await chat('qwen3-coder-flash')).toBe(cred.secret.accessToken);
  });

  it('should finish a Kimi device login on another replica when the one that started it stops', async () => {
    const c = await startGateway(yaml({}), 'gateway-login-c');
    const start = await mgmt(c, 'kimi-auth-url');
    expect(start.body.flow).toBe('device');
    await c.close(); // its poller hands the lease back; A or B adopts the login on the next sweep
    idp.approveDevice(start.body.user_code);

    const done = await waitFor(
      async () => {
        const s = await mgmt(a, `get-auth-status?state=${start.body.state}`);
        return s.body.status === 'wait' ? undefined : s.body;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the adopted Kimi device login' },
    );
    expect(done).toEqual({ status: 'ok', file: expect.stringMatching(/^kimi-\d+\.json$/) });
    const cred = await servedByA(done.file);
    expect(cred.provider).toBe('kimi');
    expect(cred.secret.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await chat('kimi-k2-thinking')).toBe(cred.secret.accessToken);
  });

  it('should answer an unknown state with a clear error on every surface', async () => {
    const state = 'no-such-login-state';
    const page = await fetch(`${b.url}/anthropic/callback?code=x&state=${state}`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('unknown or expired state');
    expect((await mgmt(a, `get-auth-status?state=${state}`)).body).toEqual({
      status: 'error',
      error: 'unknown or expired state',
    });
    const posted = await mgmt(a, 'oauth-callback', {
      method: 'POST',
      body: JSON.stringify({ provider: 'claude', code: 'x', state }),
    });
    expect(posted).toEqual({
      status: 404,
      body: { status: 'error', error: 'unknown or expired state' },
    });
    expect((await mgmt(a, 'get-auth-status?state=bad/state')).status).toBe(400);
  });

  it('should report a login the user refused, and a callback for the wrong provider', async () => {
    const start = await mgmt(a, 'anthropic-auth-url');
    const wrong = await mgmt(b, 'oauth-callback', {
      method: 'POST',
      body: JSON.stringify({ provider: 'codex', code: 'c', state: start.body.state }),
    });
    expect(wrong).toEqual({
      status: 400,
      body: { status: 'error', error: 'provider does not match state' },
    });

    idp.denyNextAuthorize('claude');
    const landing = await authorize(start.body.url);
    const page = await fetch(landing);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('access_denied');
    expect((await mgmt(a, `get-auth-status?state=${start.body.state}`)).body).toEqual({
      status: 'error',
      error: 'Authentication failed: access_denied',
    });
  });

  describe('the login CLI', () => {
    let cliDir: string;

    beforeAll(() => {
      cliDir = mkdtempSync(join(tmpdir(), 'sb-login-cli-'));
    });

    afterAll(() => rmSync(cliDir, { recursive: true, force: true }));

    /** A config.yaml for the CLI (same Redis prefix and auth-dir as the gateways). */
    function cliConfig(redirects: Record<string, string>): string {
      const path = join(cliDir, `config-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
      writeFileSync(path, yaml(redirects));
      return path;
    }

    /** Run the CLI in this process with its own stdin/stdout/stderr. */
    function cli(args: string[]) {
      const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
      let out = '';
      let err = '';
      io.stdout.on('data', (d: Buffer) => (out += d.toString()));
      io.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = runLogin(args, { ...io, env: { ...process.env } });
      return {
        stdin: io.stdin,
        exit,
        out: () => out,
        err: () => err,
        /** The first URL the CLI printed that points at the fake identity provider. */
        url: () =>
          waitFor(() => out.split('\n').find((l) => l.startsWith(idp.url)), {
            what: 'the CLI to print the login URL',
          }),
      };
    }

    it('should exit with usage for an unknown provider', async () => {
      const run = cli(['--provider', 'nope']);
      expect(await run.exit).toBe(2);
      expect(run.err()).toContain('unknown provider "nope"');
    });

    it('should finish a login whose browser comes back to its local listener', async () => {
      const port = await freePort();
      const config = cliConfig({ claude: `http://127.0.0.1:${port}/callback` });
      idp.accounts.claude.email = 'cli-listener@example.com';
      const run = cli(['--provider', 'claude', '--config', config]);
      const landing = await authorize(await run.url());
      expect(landing.startsWith(`http://127.0.0.1:${port}/callback?`)).toBe(true);
      const page = await fetch(landing);
      expect(page.status).toBe(200);
      expect(await run.exit).toBe(0);
      expect(run.out()).toContain('Saved claude-cli-listener@example.com.json');
      const cred = await servedByA('claude-cli-listener@example.com.json');
      expect(cred.email).toBe('cli-listener@example.com');
    });

    it('should finish a login from a redirect URL pasted on stdin', async () => {
      const config = cliConfig({});
      idp.accounts.codex.email = 'cli-paste@example.com';
      idp.accounts.codex.plan = 'pro';
      const run = cli(['--provider', 'codex', '--config', config, '--no-listen']);
      const landing = await authorize(await run.url());
      run.stdin.write(`${landing}\n`);
      expect(await run.exit).toBe(0);
      expect(existsSync(join(authDir, 'codex-cli-paste@example.com-pro.json'))).toBe(true);
      expect((await servedByA('codex-cli-paste@example.com-pro.json')).planType).toBe('pro');
    });

    it('should see a login a gateway completed through the shared Redis session', async () => {
      const config = cliConfig({ antigravity: `${b.url}/antigravity/callback` });
      idp.accounts.antigravity.email = 'cli-gateway@example.com';
      const run = cli(['--provider', 'antigravity', '--config', config]);
      const landing = await authorize(await run.url());
      expect(landing.startsWith(`${b.url}/antigravity/callback?`)).toBe(true);
      expect((await fetch(landing)).status).toBe(200);
      expect(await run.exit).toBe(0);
      expect(run.out()).toContain('Saved antigravity-cli-gateway@example.com.json');
    });

    it('should print the device code and wait for approval', async () => {
      const run = cli(['--provider', 'qwen', '--config', cliConfig({})]);
      const code = await waitFor(() => /enter the code (\S+)/.exec(run.out())?.[1], {
        what: 'the device code',
      });
      idp.approveDevice(code);
      expect(await run.exit).toBe(0);
      expect(run.out()).toMatch(/Saved qwen-\d+\.json/);
    });
  });
});
