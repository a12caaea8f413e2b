import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FakeUpstream } from '@test/fakes';
import { distEntry, REPO_ROOT, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';

// The panel driven in Debian's headless Chromium (no browser download) against a real gateway,
// a worker and Redis, with a fake Claude upstream behind two OAuth accounts.

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'panel-admin-key';
const CLIENT_KEY = 'sk-panel-client-0001';
const NEW_KEY = 'sk-panel-added-0002';
const MODEL = 'claude-sonnet-4-5-20250929';
const ACCOUNTS = { a: 'claude-a@example.com.json', b: 'claude-b@example.com.json' } as const;
const TOKENS = { a: 'sk-ant-oat01-panel-a', b: 'sk-ant-oat01-panel-b' } as const;
const SHOTS = join(REPO_ROOT, 'test-results', 'panel');
const AXE_SOURCE = require.resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(
    `panel e2e skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it). In CI this fails.`,
  );
}
const suite = haveChromium || process.env.CI ? describe : describe.skip;

// A browser, a worker child and several page loads per test: allow for a busy CI machine.
jest.setTimeout(60000);

function authFile(email: string, token: string): string {
  return JSON.stringify({
    type: 'claude',
    email,
    access_token: token,
    refresh_token: `${token}-refresh`,
    expired: '2099-01-01T00:00:00Z',
  });
}

suite('web panel (/management.html) in headless Chromium', () => {
  const saved = { DATA_DIR: process.env.DATA_DIR };
  let fake: FakeUpstream;
  let gw: TestGateway;
  let worker: ChildApp;
  let authDir: string;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  /** One chat completion through the proxy; the request id is ours so the log row can be found. */
  async function chat(text: string, requestId?: string, key = CLIENT_KEY): Promise<number> {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: text }] }),
    });
    await res.text();
    return res.status;
  }

  /** Which account (a or b) served the fake's latest request. */
  function lastAccount(): 'a' | 'b' | undefined {
    const auth = String(fake.lastRequest()?.headers.authorization ?? '');
    if (auth.endsWith(TOKENS.a)) return 'a';
    if (auth.endsWith(TOKENS.b)) return 'b';
    return undefined;
  }

  async function open(route: string): Promise<void> {
    await page.goto(`${gw.url}/management.html#/${route}`);
    await page.locator('main h1').waitFor();
  }

  async function navigate(title: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  /** Screenshot for the test artifacts, then axe: no serious or critical violation. */
  async function checkPage(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    // The panel's CSP refuses inline scripts, so page.addScriptTag cannot inject axe (a test
    // below proves it); DevTools evaluation is not subject to the page's CSP.
    // (Browser-side code is passed as text: the specs are compiled without the DOM types.)
    const loaded = await page.evaluate<boolean>("typeof window.axe === 'object'");
    if (!loaded) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
    const violations = await page.evaluate<AxeViolation[]>(
      'window.axe.run(document).then((r) => r.violations)',
    );
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
      );
    expect(serious).toEqual([]);
  }

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
    }
    if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'management.html'))) {
      throw new Error('dist/web is missing: run `npm run build` before this spec');
    }
    mkdirSync(SHOTS, { recursive: true });
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-panel-auth-'));
    dataDir = mkdtempSync(join(tmpdir(), 'sb-panel-data-'));
    process.env.DATA_DIR = dataDir;
    writeFileSync(join(authDir, ACCOUNTS.a), authFile('a@example.com', TOKENS.a));
    writeFileSync(join(authDir, ACCOUNTS.b), authFile('b@example.com', TOKENS.b));
    gw = await startGateway(
      `# panel e2e
api-keys:
  - "${CLIENT_KEY}"
usage-statistics-enabled: true
disable-cooling: true
remote-management:
  secret-key: "${ADMIN}"
redis:
  key-prefix: "${uniquePrefix('panel')}"
auth-dir: "${authDir}"
provider-base-urls:
  claude: "${fake.url}"
oauth-endpoints:
  claude:
    api-base: "${fake.url}"
    token-url: "${fake.url}/v1/oauth/token"
`,
      'gateway-panel',
    );
    const workerPort = await freePort();
    worker = startNode(distEntry('apps/worker/src/main.js'), {
      CONFIG_PATH: gw.configPath,
      REDIS_URL: testRedisUrl(),
      WORKER_PORT: String(workerPort),
      WORKER_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SB_PROCESS_NAME: 'worker-panel',
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${workerPort}/health`)).ok, {
      timeoutMs: 30000,
      what: 'worker health',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // root in containers has no user namespace for Chromium's sandbox
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text()))
        cspViolations.push(m.text());
    });
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop('SIGTERM', 10000);
    await gw?.close();
    await fake?.close();
    process.env.DATA_DIR = saved.DATA_DIR;
    if (authDir) rmSync(authDir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should serve the page with a strict CSP and refuse inline scripts', async () => {
    const res = await page.goto(`${gw.url}/management.html`);
    expect(res?.status()).toBe(200);
    const headers = res?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['cache-control']).toBe('no-cache');
    await expect(page.addScriptTag({ path: AXE_SOURCE })).rejects.toThrow(
      /Content Security Policy/,
    );
    cspViolations.length = 0; // that refusal was the point; later pages must cause none
  });

  it('should refuse a wrong key and sign in with the management key', async () => {
    await page.goto(`${gw.url}/management.html`);
    await page.getByLabel('Management key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not accepted/);
    await checkPage('sign-in');
    await page.getByLabel('Management key').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const stored = await page.evaluate<{ session: string[]; local: number }>(
      '({ session: Object.values(sessionStorage), local: localStorage.length })',
    );
    expect(stored).toEqual({ session: [ADMIN], local: 0 });
  });

  it('should show non-zero usage after traffic', async () => {
    for (let i = 0; i < 6; i++) expect(await chat(`usage ${i}`)).toBe(200);
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).first().click();
        const text = await page.getByTestId('kpi-requests').textContent({ timeout: 2000 });
        return Number((text ?? '0').replace(/,/g, '')) >= 6;
      },
      { timeoutMs: 10000, intervalMs: 300, what: 'six requests on the Overview' },
    );
    expect(await page.getByTestId('kpi-success').textContent()).toBe('100%');
    expect(
      Number((await page.getByTestId('kpi-tokens').textContent())?.replace(/,/g, '')),
    ).toBeGreaterThan(0);
    await expect(page.locator('#top-models-table').textContent()).resolves.toContain(MODEL);
    await expect(page.locator('.chart canvas').count()).resolves.toBeGreaterThan(0);
    await checkPage('overview');
  });

  it('should disable an account and see routing skip it, then enable it again', async () => {
    await navigate('Credentials');
    const rowA = page.getByTestId(`credential-${ACCOUNTS.a}`);
    await rowA.getByRole('button', { name: `Disable ${ACCOUNTS.a}` }).click();
    await rowA.getByText('disabled', { exact: true }).waitFor();
    // The file changed on disk; wait until this replica routes by it, then count.
    await waitFor(
      async () => {
        for (let i = 0; i < 4; i++) {
          await chat(`settle ${i}`);
          if (lastAccount() !== 'b') return false;
        }
        return true;
      },
      { timeoutMs: 5000, intervalMs: 100, what: 'routing to skip the disabled account' },
    );
    fake.clearRequests();
    for (let i = 0; i < 6; i++) expect(await chat(`only b ${i}`)).toBe(200);
    const served = fake.requests().map((r) => String(r.headers.authorization ?? ''));
    expect(served).toHaveLength(6);
    expect(served.every((a) => a.endsWith(TOKENS.b))).toBe(true);
    await checkPage('credentials');

    await rowA.getByRole('button', { name: `Enable ${ACCOUNTS.a}` }).click();
    await rowA.getByText('active', { exact: true }).waitFor();
    await waitFor(
      async () => {
        await chat('back');
        return lastAccount() === 'a';
      },
      { timeoutMs: 5000, intervalMs: 100, what: 'the enabled account to serve again' },
    );
  });

  it('should show a new request in the live log within 1 s, and open an error log', async () => {
    await navigate('Requests');
    await page.locator('.stream-status', { hasText: 'live' }).waitFor();
    const id = `panel-live-${Date.now()}`;
    expect(await chat('watch me', id)).toBe(200);
    const answered = Date.now();
    await page.locator(`tr[data-request-id="${id}"]`).waitFor({ timeout: 1000 });
    expect(Date.now() - answered).toBeLessThan(1000);

    // A request the upstream refuses (400 goes straight back) is logged as failed and leaves an
    // error log that opens in a dialog.
    const failedId = `panel-failed-${Date.now()}`;
    fake.fail({ status: 400 });
    expect(await chat('refuse me', failedId)).toBe(400);
    await page.locator(`tr[data-request-id="${failedId}"]`).waitFor({ timeout: 1000 });
    const errorLogs = page.locator('section[aria-labelledby="error-logs-title"]');
    await waitFor(
      async () => {
        await errorLogs.getByRole('button', { name: 'Refresh' }).click();
        return (await errorLogs.getByRole('button', { name: /^Open error-/ }).count()) > 0;
      },
      { timeoutMs: 10000, intervalMs: 300, what: 'an error log in the list' },
    );
    await errorLogs
      .getByRole('button', { name: /^Open error-/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.locator('pre').textContent()).resolves.toContain('=== REQUEST INFO ===');
    await checkPage('requests-error-log');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The status filter reaches the server: only the failure stays listed.
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'All errors (≥ 400)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`tr[data-request-id="${id}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-request-id="${failedId}"]`).waitFor();
    await checkPage('requests');
  });

  it('should refuse an invalid config.yaml with its line, then apply a valid one', async () => {
    await navigate('Settings');
    const editor = page.getByRole('textbox', { name: 'config.yaml' });
    await expect(editor.inputValue()).resolves.toContain(CLIENT_KEY);
    const before = readFileSync(gw.configPath, 'utf8');
    const original = await editor.inputValue();
    const broken = original.replace(
      'disable-cooling: true',
      'disable-cooling: true\nrequest-retry: lots',
    );
    const badLine = broken.split('\n').findIndex((l) => l.startsWith('request-retry')) + 1;
    await editor.fill(broken);
    await page.getByRole('button', { name: 'Check and save' }).click();
    const problems = page.getByTestId('config-problems');
    await expect(problems.textContent()).resolves.toContain(`Line ${badLine}`);
    expect(readFileSync(gw.configPath, 'utf8')).toBe(before);
    await checkPage('settings-invalid');

    const valid = original.replace(`  - "${CLIENT_KEY}"`, `  - "${CLIENT_KEY}"\n  - "${NEW_KEY}"`);
    expect(valid).not.toBe(original);
    await editor.fill(valid);
    await page.getByRole('button', { name: 'Check and save' }).click();
    await page.getByText('config.yaml saved').waitFor();
    expect(readFileSync(gw.configPath, 'utf8')).toContain(NEW_KEY);
    // applied: the proxy takes the new key
    await waitFor(async () => (await chat('new key', undefined, NEW_KEY)) === 200, {
      timeoutMs: 3000,
      what: 'the new client key to work',
    });
    // The list is fetched again after the save; wait for it rather than race it.
    await page.getByTestId('api-keys').getByText('sk-p…0002').waitFor();
    await checkPage('settings');
  });

  it('should list the gateway and the worker with health, and pause and resume the worker', async () => {
    await navigate('Cluster');
    const workerRow = page.getByTestId('member-worker-panel');
    await workerRow.waitFor();
    await expect(page.getByTestId('member-gateway-panel').textContent()).resolves.toContain(
      'running',
    );
    await workerRow.getByRole('button', { name: 'Stop worker-panel', exact: true }).click();
    await workerRow
      .getByText('stopped', { exact: true })
      .waitFor({ timeout: 10000 })
      .catch(async (err: Error) => {
        // say what the page showed (a refused command is announced in the status region)
        throw new Error(`${err.message}\npage: ${await page.locator('main').innerText()}`);
      });
    await workerRow.getByRole('button', { name: 'Start worker-panel', exact: true }).click();
    await workerRow.getByText('running', { exact: true }).waitFor({ timeout: 10000 });
    await page.locator('.log-line').first().waitFor({ timeout: 10000 });
    await checkPage('cluster');
  });

  it('should fit a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('overview');
    await page.getByTestId('kpi-requests').waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await checkPage('overview-phone');
    await open('credentials');
    await page.getByTestId('accounts').waitFor();
    await checkPage('credentials-phone');
  });

  it('should have run without CSP violations or page errors', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
