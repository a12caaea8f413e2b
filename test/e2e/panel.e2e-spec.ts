import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FakeUpstream } from '@test/fakes';
import { FakeOAuthServer } from '@test/fakes/oauth/fake-oauth-server';
import { FakeLoginIdp } from '@test/fakes/oauth/login-idp';
import { distEntry, REPO_ROOT, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { TcpCut } from '@test/utils/tcp-cut';

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
/** With UPDATE_PANEL_SCREENSHOTS=1 the docs' screenshots (docs/images/panel-*.png) are refreshed. */
const DOC_SHOTS = process.env.UPDATE_PANEL_SCREENSHOTS ? join(REPO_ROOT, 'docs', 'images') : '';
const DISABLED_CODEX = 'codex-off@example.com.json';
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
  let idp: FakeLoginIdp;
  let quota: FakeOAuthServer;
  let redisCut: TcpCut;
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

  /** Screenshot for the test artifacts (and the docs when asked), then axe: no violation at all. */
  async function checkPage(name: string, docName?: string): Promise<void> {
    const file = join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (DOC_SHOTS && docName) copyFileSync(file, join(DOC_SHOTS, `panel-${docName}.png`));
    // The panel's CSP refuses inline scripts, so page.addScriptTag cannot inject axe (a test
    // below proves it); DevTools evaluation is not subject to the page's CSP.
    // (Browser-side code is passed as text: the specs are compiled without the DOM types.)
    const loaded = await page.evaluate<boolean>("typeof window.axe === 'object'");
    if (!loaded) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
    const violations = await page.evaluate<AxeViolation[]>(
      'window.axe.run(document).then((r) => r.violations)',
    );
    expect(
      violations.map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
      ),
    ).toEqual([]);
  }

  /** Horizontal overflow of the page (0 when nothing scrolls sideways). */
  function sideways(): Promise<number> {
    return page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
  }

  async function management<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(`${gw.url}/v0/management/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
    }
    if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'management.html'))) {
      throw new Error('dist/web is missing: run `npm run build` before this spec');
    }
    mkdirSync(SHOTS, { recursive: true });
    if (DOC_SHOTS) mkdirSync(DOC_SHOTS, { recursive: true });
    fake = await FakeUpstream.start();
    idp = await FakeLoginIdp.start();
    // The worker polls Claude quota here: a weekly Opus window nearly spent.
    quota = await FakeOAuthServer.start();
    const at = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    quota.setQuota('claude', {
      five_hour: { utilization: 38, resets_at: at(2) },
      seven_day: { utilization: 40, resets_at: at(100) },
      seven_day_opus: { utilization: 91, resets_at: at(100) },
    });
    authDir = mkdtempSync(join(tmpdir(), 'sb-panel-auth-'));
    dataDir = mkdtempSync(join(tmpdir(), 'sb-panel-data-'));
    process.env.DATA_DIR = dataDir;
    writeFileSync(join(authDir, ACCOUNTS.a), authFile('a@example.com', TOKENS.a));
    writeFileSync(join(authDir, ACCOUNTS.b), authFile('b@example.com', TOKENS.b));
    // A disabled Codex account: its models are known, but no usable credential serves them.
    writeFileSync(
      join(authDir, DISABLED_CODEX),
      JSON.stringify({
        type: 'codex',
        email: 'off@example.com',
        access_token: 'codex-off-token',
        refresh_token: 'codex-off-refresh',
        account_id: 'acct-off',
        expired: '2099-01-01T00:00:00Z',
        disabled: true,
      }),
    );
    // The gateway reaches Redis through a relay the outage test cuts; the worker does not.
    const direct = testRedisUrl();
    redisCut = await TcpCut.start(Number(new URL(direct).port));
    const endpoints = idp
      .endpointsYaml({}, fake.url)
      .replace('  claude:\n', `  claude:\n    api-base: "${quota.url}"\n`)
      .replace('  codex:\n', `  codex:\n    api-base: "${quota.url}"\n`);
    gw = await startGateway(
      `# panel e2e
api-keys:
  - "${CLIENT_KEY}"
usage-statistics-enabled: true
request-retry: 0
remote-management:
  secret-key: "${ADMIN}"
redis:
  key-prefix: "${uniquePrefix('panel')}"
  command-timeout-ms: 500
auth-dir: "${authDir}"
provider-base-urls:
  claude: "${fake.url}"
${endpoints}
`,
      'gateway-panel',
      { redisUrl: redisCut.url },
    );
    const workerPort = await freePort();
    worker = startNode(distEntry('apps/worker/src/main.js'), {
      CONFIG_PATH: gw.configPath,
      REDIS_URL: direct,
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
    // One named time zone, so the pages' "Times in …" note and the screenshots are stable.
    context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      timezoneId: 'Europe/Berlin',
    });
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
    await redisCut?.restore();
    await gw?.close();
    await redisCut?.close();
    await idp?.close();
    await quota?.close();
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

  it('should name a client key and show numbers that match the traffic sent with it', async () => {
    await navigate('Settings');
    const form = page.getByRole('form', { name: 'Add a client key' });
    // A bad date is refused in the browser, naming the setting.
    await form.getByLabel('Label').fill('Team Atlas');
    await form.getByLabel('Owner').fill('atlas@example.com');
    await form.getByRole('button', { name: 'Add key' }).click();
    await page.getByTestId('new-key').waitFor();
    const key = ((await page.getByTestId('new-key').locator('.mono').textContent()) ?? '').trim();
    expect(key).toMatch(/^sk-[0-9a-f]{48}$/);
    await waitFor(async () => (await chat('warm up', undefined, key)) === 200, {
      what: 'the new key to work',
    });
    fake.clearRequests();
    const sent = 4;
    for (let i = 0; i < sent; i++) expect(await chat(`atlas ${i}`, undefined, key)).toBe(200);
    const tokens = fake
      .requests()
      .reduce(
        (n, r) => n + ((r.answer?.usage as { totalTokens?: number } | undefined)?.totalTokens ?? 0),
        0,
      );
    // Every request the key made (the warm-up included) is counted, with its tokens.
    const keys = await management<{
      'client-keys': {
        key: string;
        key_id: string;
        usage: { '24h': { requests: number; tokens: number } };
      }[];
    }>('client-keys');
    const row = keys['client-keys'].find((k) => k.key === key);
    expect(row?.usage['24h'].requests).toBe(sent + 1);
    expect(row?.usage['24h'].tokens).toBeGreaterThanOrEqual(tokens);
    await page.reload();
    const keyRow = page.getByTestId(`key-${row?.key_id}`);
    await waitFor(
      async () =>
        ((await keyRow.getByTestId('usage-24h').textContent()) ?? '').startsWith(
          `${sent + 1} req · ${row?.usage['24h'].tokens.toLocaleString('en')} tok`,
        ),
      { timeoutMs: 10000, intervalMs: 300, what: 'the key row to show its traffic' },
    );
    await expect(keyRow.textContent()).resolves.toContain('Team Atlas');
    // Editing names the setting it refuses.
    await keyRow.getByRole('button', { name: 'Edit Team Atlas' }).click();
    await keyRow.getByLabel('Label').fill('x'.repeat(81));
    await keyRow.getByRole('button', { name: 'Save' }).click();
    await expect(keyRow.locator('.field-error').textContent()).resolves.toBe(
      'label: at most 80 characters',
    );
    await keyRow.getByRole('button', { name: 'Cancel' }).click();
    await checkPage('settings-keys', 'settings');

    // The Overview lists the key by its label with the same count.
    await navigate('Overview');
    const top = page.locator('#top-keys-table');
    await waitFor(
      async () => ((await top.textContent({ timeout: 2000 })) ?? '').includes('Team Atlas'),
      { timeoutMs: 10000, intervalMs: 300, what: 'the key on the Overview' },
    );
    const cells = top.locator(`tr[data-key-id="${row?.key_id}"] td`);
    await expect(cells.first().textContent()).resolves.toBe(String(sent + 1));
    // An expired key is refused in the caller's format.
    await management('client-keys', {
      method: 'PATCH',
      body: JSON.stringify({ key_id: row?.key_id, expires: '2020-01-01' }),
    });
    await waitFor(async () => (await chat('late', undefined, key)) === 401, {
      what: 'the expired key to be refused',
    });
  });

  it('should show totals, stacked charts of a time range, and the named time zone', async () => {
    await navigate('Overview');
    await page.getByTestId('kpi-requests').waitFor();
    await expect(page.getByTestId('timezone').textContent()).resolves.toMatch(
      /Times in Europe\/Berlin, UTC\+0[12]:00/,
    );
    for (const range of ['1 hour', '7 days', '30 days', '24 hours']) {
      await page
        .getByRole('group', { name: 'Time range' })
        .getByRole('button', { name: range })
        .click();
      await page.locator('#chart-volume-cap').waitFor();
    }
    expect(
      Number((await page.getByTestId('kpi-requests').textContent())?.replace(/,/g, '')),
    ).toBeGreaterThan(0);
    await expect(page.locator('#chart-volume-cap + .chart-canvas canvas').count()).resolves.toBe(1);
    // Values on hover: the legend names each series' own value at the cursor (uPlot updates it
    // on the next frame after the pointer moves, so look again until it does).
    const over = page.locator('#chart-volume-cap + .chart-canvas .u-over');
    const legend = page.locator('#chart-volume-cap + .chart-canvas .u-legend');
    let nudge = 0;
    await waitFor(
      async () => {
        const box = await over.boundingBox();
        if (!box) return false;
        await page.mouse.move(box.x + box.width - 4 - (nudge++ % 3), box.y + box.height / 2);
        return /Succeeded\s*\d+/.test((await legend.textContent()) ?? '');
      },
      { timeoutMs: 5000, intervalMs: 200, what: 'the legend to show the hovered values' },
    );
    await expect(page.locator('#top-models-table').textContent()).resolves.toContain(MODEL);
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

  it('should count requests per account, test an account, and filter the list', async () => {
    // Ask the worker for a fresh poll of account a's quota (the control API's refresh).
    await fetch(`${gw.url}/api/cliproxy/quota/claude/a@example.com?refresh=true`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    await open('credentials');
    const rowB = page.getByTestId(`credential-${ACCOUNTS.b}`);
    await waitFor(
      async () => /^[1-9]\d* ok/.test((await rowB.getByTestId('counts').textContent()) ?? ''),
      { timeoutMs: 10000, intervalMs: 300, what: 'account b counts' },
    );
    await expect(rowB.textContent()).resolves.toMatch(/Last used|ago/);
    const rowA = page.getByTestId(`credential-${ACCOUNTS.a}`);
    await waitFor(
      async () => {
        const text =
          (await rowA
            .locator('.quota-list')
            .textContent({ timeout: 1000 })
            .catch(() => '')) ?? '';
        if (text.includes('Weekly · Opus')) return true;
        await page.reload();
        await rowA.waitFor();
        return false;
      },
      { timeoutMs: 20000, intervalMs: 1000, what: "account a's quota from the worker's poll" },
    );
    const quotaText = (await rowA.locator('.quota-list').textContent()) ?? '';
    expect(quotaText).toContain('5-hour: 62% left');
    expect(quotaText).toContain('Weekly: 60% left');
    expect(quotaText).toContain('Weekly · Opus: 9% left');
    fake.clearRequests();
    await rowB.getByRole('button', { name: `Test ${ACCOUNTS.b}` }).click();
    await expect(
      rowB.getByTestId('test-result').filter({ hasText: 'Works' }).textContent(),
    ).resolves.toMatch(/^Works: 200 from .+ in \d+ ms$/);
    expect(String(fake.lastRequest()?.headers.authorization)).toContain(TOKENS.b);
    // Filters: status and search narrow the list (and the page link can set them).
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'disabled' });
    await page.getByTestId(`credential-${DISABLED_CODEX}`).waitFor();
    await expect(page.getByTestId(`credential-${ACCOUNTS.a}`).count()).resolves.toBe(0);
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Any status' });
    await page.getByLabel('Search').fill('b@example');
    await expect(page.getByTestId('accounts').locator('tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Search').fill('');
    await checkPage('credentials', 'credentials');
  });

  it('should show a new request in the live log within 1 s, and open its details in one click', async () => {
    await navigate('Requests');
    await page.locator('.stream-status', { hasText: 'live' }).waitFor();
    const id = `panel-live-${Date.now()}`;
    expect(await chat('watch me', id)).toBe(200);
    const answered = Date.now();
    await page.locator(`tr[data-request-id="${id}"]`).waitFor({ timeout: 1000 });
    expect(Date.now() - answered).toBeLessThan(1000);

    // A request every account fails: the drawer lists each attempt with its upstream status.
    const failedId = `panel-failed-${Date.now()}`;
    fake.fail({ status: 503, times: 2 });
    expect(await chat('refuse me', failedId)).toBe(503);
    const row = page.locator(`tr[data-request-id="${failedId}"]`);
    await row.waitFor({ timeout: 2000 });
    await row.click();
    const drawer = page.getByTestId('request-drawer');
    await drawer.waitFor();
    await expect(drawer.locator('h2').textContent()).resolves.toContain(failedId);
    const attempts = drawer.getByTestId('attempts').locator('li');
    await expect(attempts.count()).resolves.toBe(2);
    const lines = await attempts.allTextContents();
    expect(lines[0]).toMatch(/Attempt 1: .+@example\.com \(claude\) → 503/);
    expect(lines[1]).toMatch(/Attempt 2: .+@example\.com \(claude\) → 503/);
    await expect(drawer.textContent()).resolves.toMatch(/not streamed/);
    await expect(drawer.getByTestId('drawer-tokens').textContent()).resolves.toMatch(
      /input \d+ · output \d+ · cached \d+ · reasoning \d+ · total \d+/,
    );
    // Its error log, one click away.
    await drawer.getByRole('button', { name: 'Open its error log' }).click();
    const logDialog = page.getByRole('dialog', { name: /^error-/ });
    await expect(logDialog.locator('pre').textContent()).resolves.toContain('=== REQUEST INFO ===');
    await checkPage('requests-error-log');
    await logDialog.getByRole('button', { name: 'Close' }).click();
    await checkPage('requests-drawer', 'request-drawer');
    await drawer.getByRole('button', { name: 'Close' }).click();

    // The status filter reaches the server: only failures stay listed; the key list filters by key.
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'All errors (≥ 400)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`tr[data-request-id="${id}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-request-id="${failedId}"]`).waitFor();
    const keyOptions = await page.getByLabel('Client key').locator('option').allTextContents();
    expect(keyOptions).toEqual(
      expect.arrayContaining(['Any key', expect.stringContaining('Team Atlas')]),
    );
    await checkPage('requests', 'requests');
  });

  it('should list cooling accounts and models with no usable credential, linking to the fix', async () => {
    await navigate('Overview');
    const strip = page.getByTestId('attention');
    await waitFor(
      async () => {
        const text = (await strip.textContent({ timeout: 2000 }).catch(() => '')) ?? '';
        return text.includes('is cooling down') && text.includes('no usable credential');
      },
      { timeoutMs: 10000, intervalMs: 500, what: 'the attention strip' },
    );
    const text = (await strip.textContent()) ?? '';
    expect(text).toMatch(/a@example\.com \(claude\) is cooling down/);
    expect(text).toMatch(/models? with no usable credential: .*gpt/);
    expect(text).toMatch(/has 9 % left of its Weekly · Opus quota/);
    await checkPage('overview', 'overview');
    // The cooling account's link opens Credentials filtered to it.
    await strip
      .locator('[data-kind="credential-cooling"]')
      .first()
      .getByRole('link', { name: 'Open the account' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
    await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe('cooling');
    await expect(page.getByTestId('accounts').locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.getByTestId('accounts').textContent()).resolves.toMatch(/cooling now/);
    await expect(page.getByTestId('last-error').first().textContent()).resolves.toMatch(
      /last error .+ ago: 503/,
    );
    // The cluster's health counts them too.
    await navigate('Cluster');
    await page
      .getByTestId('member-gateway-panel')
      .getByRole('button', { name: 'gateway-panel', exact: true })
      .click();
    await waitFor(
      async () => /cooling now/.test((await page.locator('.checks').textContent()) ?? ''),
      { timeoutMs: 12000, intervalMs: 500, what: 'the health report to count cooling credentials' },
    );
    await expect(page.locator('.checks').textContent()).resolves.toMatch(
      /with no usable credential/,
    );
  });

  it('should finish an OAuth login from a pasted redirect URL, with the link copyable', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    await navigate('Credentials');
    await page
      .getByLabel('Provider', { exact: true })
      .last()
      .selectOption({ label: 'Claude (Anthropic)' });
    await page.getByRole('button', { name: 'Start login' }).click();
    const link = page.getByLabel('Sign-in link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url.startsWith(`${idp.url}/claude/authorize`)).toBe(true);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(url);
    // The browser (played here) ends on the provider's localhost redirect, which never loads.
    const res = await fetch(url, { redirect: 'manual' });
    const landing = res.headers.get('location') ?? '';
    expect(landing).toMatch(/^http:\/\/localhost:54545\/callback\?/);
    await page.getByLabel(/paste its address here/).fill(landing);
    await page.getByRole('button', { name: 'Finish login' }).click();
    await page.getByTestId('login-done').waitFor();
    await page.getByTestId('credential-claude-max@example.com.json').waitFor({ timeout: 10000 });
  });

  it('should refuse an invalid config.yaml with its line, mask secrets, and apply a valid one', async () => {
    await navigate('Settings');
    const editor = page.getByRole('textbox', { name: 'config.yaml' });
    await expect(editor.inputValue()).resolves.toContain('api-keys:');
    // Secrets are masked until asked, exactly as the gateway lists them.
    const masked = await editor.inputValue();
    expect(masked).not.toContain(CLIENT_KEY);
    expect(masked).not.toContain(ADMIN);
    expect(masked).toContain(`${CLIENT_KEY.slice(0, 3)}…${CLIENT_KEY.slice(-4)}`);
    await page.getByTestId('reveal-secrets').click();
    await expect(editor.inputValue()).resolves.toContain(CLIENT_KEY);
    await page.getByTestId('reveal-secrets').click();
    await expect(editor.inputValue()).resolves.toBe(masked);

    const before = readFileSync(gw.configPath, 'utf8');
    const broken = masked.replace('request-retry: 0', 'request-retry: lots');
    const badLine = broken.split('\n').findIndex((l) => l.startsWith('request-retry')) + 1;
    await editor.fill(broken);
    await page.getByRole('button', { name: 'Check and save' }).click();
    const problems = page.getByTestId('config-problems');
    await expect(problems.textContent()).resolves.toContain(`Line ${badLine}`);
    await expect(problems.textContent()).resolves.toContain('request-retry');
    expect(readFileSync(gw.configPath, 'utf8')).toBe(before);
    await checkPage('settings-invalid');

    // Saved while still masked: the stored secrets are kept, the new key is added.
    const lines = masked.split('\n');
    const at = lines.findIndex((l) =>
      l.includes(`${CLIENT_KEY.slice(0, 3)}…${CLIENT_KEY.slice(-4)}`),
    );
    expect(at).toBeGreaterThan(-1);
    lines.splice(at + 1, 0, (lines[at] ?? '').replace(/-\s.*$/, `- "${NEW_KEY}"`));
    const valid = lines.join('\n');
    await editor.fill(valid);
    await page.getByRole('button', { name: 'Check and save' }).click();
    await page.getByText('config.yaml saved').waitFor();
    const written = readFileSync(gw.configPath, 'utf8');
    expect(written).toContain(NEW_KEY);
    expect(written).toContain(CLIENT_KEY);
    // the management key's stored (hashed) form survived its masked round trip
    const secretLine = (t: string) => t.split('\n').find((l) => l.includes('secret-key:'));
    expect(secretLine(written)).toBe(secretLine(before));
    await waitFor(async () => (await chat('new key', undefined, NEW_KEY)) === 200, {
      timeoutMs: 3000,
      what: 'the new client key to work',
    });
    await page.getByTestId('client-keys').getByText('sk-…0002').waitFor();
  });

  it('should add an upstream API key and an OpenAI-compatible provider with forms', async () => {
    await navigate('Settings');
    const upstream = page.getByRole('form', { name: 'Upstream API key entry' });
    await upstream.getByLabel('API key').fill('sk-ant-form-0001');
    await upstream.getByLabel(/^Base URL/).fill('not a url');
    await upstream.getByRole('button', { name: 'Add entry' }).click();
    await expect(upstream.locator('.field-error').textContent()).resolves.toBe(
      'claude-api-key[0].base-url: must be an http(s) URL',
    );
    await upstream.getByLabel(/^Base URL/).fill(fake.url);
    await upstream.getByLabel('Models').fill('claude-form-model');
    await upstream.getByRole('button', { name: 'Add entry' }).click();
    await page.getByText('claude-api-key[0] saved').waitFor();
    await waitFor(async () => readFileSync(gw.configPath, 'utf8').includes('sk-ant-form-0001'), {
      what: 'the entry in config.yaml',
    });
    const compat = page.getByRole('form', { name: 'OpenAI-compatible provider' });
    await compat.getByLabel('Name').fill('formoai');
    await compat.getByLabel('Base URL').fill(`${fake.url}/v1`);
    await compat.getByLabel('API keys').fill('form-up-key-1');
    await compat.getByRole('button', { name: 'Add provider' }).click();
    await expect(compat.locator('.field-error').textContent()).resolves.toBe(
      'openai-compatibility[0].models: list at least one model',
    );
    await compat.getByLabel('Models').fill('form-gpt = gpt-form');
    await compat.getByRole('button', { name: 'Add provider' }).click();
    await page.getByText('openai-compatibility "formoai" saved').waitFor();
    // Both serve at once.
    await waitFor(
      async () => {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
          body: JSON.stringify({ model: 'gpt-form', messages: [{ role: 'user', content: 'x' }] }),
        });
        await res.text();
        return res.status === 200 && fake.lastRequest()?.apiKey === 'form-up-key-1';
      },
      { what: 'the new provider to serve' },
    );
    await checkPage('settings-forms');
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

  it('should show a Redis outage as such and recover by itself', async () => {
    const step = async <T>(what: string, p: Promise<T>): Promise<T> =>
      p.catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
    await navigate('Overview');
    await page
      .locator('section[aria-labelledby="live-rate-title"] .stream-status[data-state="ok"]')
      .waitFor()
      .catch(async (err: Error) => {
        const status = await page
          .locator('section[aria-labelledby="live-rate-title"] .stream-status')
          .textContent();
        throw new Error(`${err.message}\nstream: ${status}`);
      });
    await redisCut.cut();
    const banner = page.getByTestId('outage-banner');
    await step('banner', banner.waitFor({ timeout: 15000 }));
    await expect(banner.textContent()).resolves.toMatch(
      /Redis is unreachable since \d{2}:\d{2} \(.+\) — requests are buffered/,
    );
    // The proxy keeps serving meanwhile.
    expect(await chat('during the outage')).toBe(200);
    // Live badges turn amber while their source is down.
    await step(
      'amber badge',
      page
        .locator('section[aria-labelledby="live-rate-title"] .stream-status[data-state="warn"]')
        .waitFor({ timeout: 10000 }),
    );
    await checkPage('outage', 'outage');
    await redisCut.restore();
    await step('banner gone', banner.waitFor({ state: 'detached', timeout: 20000 }));
    await step(
      'green badge',
      page
        .locator('section[aria-labelledby="live-rate-title"] .stream-status[data-state="ok"]')
        .waitFor({ timeout: 20000 }),
    );
    // Loads that failed meanwhile clear their error by themselves.
    await step(
      'errors cleared',
      page.locator('.notice-warn', { hasText: 'refreshing failed' }).waitFor({
        state: 'detached',
        timeout: 30000,
      }),
    );
  }, 120000);

  it('should fit a phone screen: cards, no sideways scrolling, actions in reach', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('overview');
    await page.getByTestId('kpi-requests').waitFor();
    expect(await sideways()).toBeLessThanOrEqual(0);
    await checkPage('overview-phone', 'overview-phone');
    await open('requests');
    await page.getByTestId('request-log').waitFor();
    expect(await sideways()).toBeLessThanOrEqual(0);
    await checkPage('requests-phone', 'requests-phone');
    await open('credentials');
    await page.getByTestId('accounts').waitFor();
    expect(await sideways()).toBeLessThanOrEqual(0);
    // Every action button is inside the viewport's width.
    const right = await page.evaluate<number>(
      "Math.max(...[...document.querySelectorAll('[data-testid=accounts] button')].map((b) => b.getBoundingClientRect().right))",
    );
    expect(right).toBeLessThanOrEqual(390);
    await checkPage('credentials-phone', 'credentials-phone');
    await open('settings');
    await page.getByTestId('client-keys').waitFor();
    expect(await sideways()).toBeLessThanOrEqual(0);
  });

  it('should have run without CSP violations or page errors', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
