import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsService } from '@app/metrics';
import { QuotaSnapshotRepository, type QuotaProvider, type QuotaSnapshot } from '@app/quota';
import { authIndexOf, CredentialService } from '@app/routing';
import { RedisService } from '@app/storage';
import { FakeUpstream } from '@test/fakes';
import {
  exhaustedQuotaReply,
  defaultQuotaReplies,
  FakeOAuthServer,
} from '@test/fakes/oauth/fake-oauth-server';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { inMs, startWorker, writeAuthFile, type TestWorker } from './worker-oauth.helpers';

const CLIENT_KEY = 'sk-client-worker';
const CLAUDE_MODEL = 'claude-sonnet-4-5-20250929';
const POLL_SECONDS = 3;

/** An unsigned JWT (the gateway only reads claims). */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.c2ln`;
}

function configYaml(
  prefix: string,
  authDir: string,
  fake: FakeUpstream,
  oauth: FakeOAuthServer,
): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${prefix}"
auth-dir: "${authDir}"
provider-base-urls:
  claude: "${fake.url}"
  codex: "${fake.url}/backend-api/codex"
  gemini-cli: "${fake.url}"
  antigravity: "${fake.url}"
  kimi: "${fake.url}/coding/v1"
worker:
  quota-poll-seconds: ${POLL_SECONDS}
${oauth.endpointsYaml()}`;
}

/** One chat completion through a gateway: status and text. */
async function chat(
  gw: TestGateway,
  model: string,
  text = 'hi',
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: text }] }),
  });
  return { status: res.status, body: await res.text() };
}

function bearerOf(h: string | string[] | undefined): string {
  return (Array.isArray(h) ? h[0] : (h ?? '')).replace(/^Bearer /, '');
}

describe('worker: token refresh and quota polling across replicas', () => {
  let fake: FakeUpstream;
  let oauth: FakeOAuthServer;
  let authDir: string;
  let gwA: TestGateway;
  let gwB: TestGateway;
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    // A slow token endpoint keeps the refresh in flight while requests arrive.
    oauth = await FakeOAuthServer.start({ tokenDelayMs: 1500 });
    authDir = mkdtempSync(join(tmpdir(), 'sb-worker-auth-'));
    const yaml = configYaml(uniquePrefix('worker-oauth'), authDir, fake, oauth);
    gwA = await startGateway(yaml, 'gateway-a');
    gwB = await startGateway(yaml, 'gateway-b');
    workers.push(await startWorker(yaml, 'worker-1'), await startWorker(yaml, 'worker-2'));
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.close();
    await gwA?.close();
    await gwB?.close();
    await fake?.close();
    await oauth?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  const hasCredential = (gw: TestGateway, file: string) =>
    gw.app
      .get(CredentialService)
      .snapshot()
      .byAuthIndex.has(authIndexOf(`file:${file}`));

  it('should refresh a token expiring in 2 s exactly once while proxy calls keep succeeding', async () => {
    const file = 'claude-max@example.com.json';
    const expiresAt = Date.now() + 2000;
    writeAuthFile(authDir, file, {
      type: 'claude',
      email: 'max@example.com',
      access_token: 'at-claude-old',
      refresh_token: 'rt-claude-1',
      expired: new Date(expiresAt).toISOString(),
      custom_field: 'kept',
    });
    await waitFor(() => hasCredential(gwA, file) && hasCredential(gwB, file), {
      what: 'both gateways loading the auth file',
    });

    // Traffic on both gateways until well past the old token's expiry.
    const results: number[] = [];
    const until = expiresAt + 1500;
    const loop = async (gw: TestGateway) => {
      let i = 0;
      while (Date.now() < until) results.push((await chat(gw, CLAUDE_MODEL, `n${i++}`)).status);
    };
    await Promise.all([loop(gwA), loop(gwB), loop(gwA), loop(gwB)]);

    expect(results.length).toBeGreaterThan(4);
    expect(results.filter((s) => s !== 200)).toEqual([]);
    expect(oauth.refreshCalls).toHaveLength(1);
    expect(oauth.refreshCount('rt-claude-1')).toBe(1);
    expect(oauth.refreshCalls[0].at).toBeLessThan(expiresAt);
    expect(oauth.refreshCalls[0].encoding).toBe('json');

    const written = JSON.parse(readFileSync(join(authDir, file), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(written.access_token).toMatch(/^at-claude-/);
    expect(written.access_token).not.toBe('at-claude-old');
    expect(written.custom_field).toBe('kept');
    expect(Date.parse(String(written.expired))).toBeGreaterThan(Date.now() + 3000_000);
    expect(typeof written.last_refresh).toBe('string');
    expect(statSync(join(authDir, file)).mode & 0o777).toBe(0o600);

    // No request ever carried the token that was about to expire.
    const sent = fake
      .requests()
      .filter((r) => r.model === CLAUDE_MODEL)
      .map((r) => bearerOf(r.headers.authorization));
    expect(sent.length).toBe(results.length);
    expect(new Set(sent)).toEqual(new Set([written.access_token]));
  }, 30_000);

  it('should mark a credential whose refresh token was revoked as error and route around it', async () => {
    const file = 'claude-rev@example.com.json';
    const authIndex = authIndexOf(`file:${file}`);
    oauth.revoke('rt-rev');
    // Due for the worker (inside Claude's 4 h lead) but not expired for the gateways.
    writeAuthFile(authDir, file, {
      type: 'claude',
      email: 'rev@example.com',
      access_token: 'at-rev-old',
      refresh_token: 'rt-rev',
      expired: inMs(120_000),
    });
    const errorOn = (gw: TestGateway) => gw.app.get(CredentialService).state.errorOf(authIndex);
    const marked = await waitFor(() => errorOn(gwA) && errorOn(gwB), {
      timeoutMs: 10_000,
      what: 'the credential marked error on both gateways',
    });
    expect(marked.message).toMatch(/Refresh token rejected \(400 invalid_grant\).*Sign in again/);

    fake.clearRequests();
    for (let i = 0; i < 6; i++)
      expect((await chat(i % 2 ? gwA : gwB, CLAUDE_MODEL)).status).toBe(200);
    const tokens = fake.requests().map((r) => bearerOf(r.headers.authorization));
    expect(tokens).not.toContain('at-rev-old');

    // Revoked means no retries.
    await new Promise((r) => setTimeout(r, 1500));
    expect(oauth.refreshCount('rt-rev')).toBe(1);
  }, 30_000);

  it('should store a quota snapshot for every provider within one poll interval and bench a spent account', async () => {
    const resetAt = Date.now() + 6000;
    oauth.setQuota('codex', () =>
      Date.now() < resetAt
        ? { status: 200, body: exhaustedQuotaReply('codex', resetAt) }
        : { status: 200, body: defaultQuotaReplies().codex },
    );
    const files: Record<string, { provider: QuotaProvider; accountId: string; data: object }> = {
      'antigravity-agy@example.com.json': {
        provider: 'agy',
        accountId: 'agy@example.com',
        data: {
          type: 'antigravity',
          email: 'agy@example.com',
          project_id: 'agy-p',
          access_token: 'ya29.agy',
          refresh_token: 'r-agy',
          expired: inMs(3600_000),
        },
      },
      'cli@example.com-cli-p.json': {
        provider: 'gemini',
        accountId: 'cli@example.com',
        data: {
          type: 'gemini',
          email: 'cli@example.com',
          project_id: 'cli-p',
          token: { access_token: 'ya29.cli', refresh_token: 'r-cli', expiry: inMs(3600_000) },
        },
      },
      'codex-plus@example.com-plus.json': {
        provider: 'codex',
        accountId: 'plus@example.com',
        data: {
          type: 'codex',
          email: 'plus@example.com',
          access_token: jwt({ exp: Math.floor(Date.now() / 1000) + 86400 * 30 }),
          refresh_token: 'r-codex',
          account_id: 'acct-77',
        },
      },
      'kimi-device-1.json': {
        provider: 'kimi',
        accountId: 'kimi-device-1',
        data: {
          type: 'kimi',
          access_token: 'kimi-at',
          refresh_token: 'r-kimi',
          device_id: 'd-1',
          expired: inMs(3600_000),
        },
      },
    };
    const writtenAt = Date.now();
    for (const [name, f] of Object.entries(files)) writeAuthFile(authDir, name, f.data);
    const repo = new QuotaSnapshotRepository(gwA.app.get(RedisService));
    const expected = [
      ...Object.values(files),
      { provider: 'claude' as const, accountId: 'max@example.com' },
    ];

    const seen = new Map<string, { snapshot: QuotaSnapshot; afterMs: number }>();
    await waitFor(
      async () => {
        // snapshots are stored per credential; find each account's among them
        const all = await repo.list();
        for (const e of expected) {
          const key = `${e.provider}/${e.accountId}`;
          if (seen.has(key)) continue;
          const snapshot = all.find(
            (x) => x.provider === e.provider && x.accountId === e.accountId,
          );
          if (snapshot) seen.set(key, { snapshot, afterMs: Date.now() - writtenAt });
        }
        return seen.size === expected.length;
      },
      {
        timeoutMs: (POLL_SECONDS + 4) * 1000,
        intervalMs: 100,
        what: 'a snapshot for every provider',
      },
    );
    // One interval, plus the moment it takes to notice the new files.
    for (const { afterMs } of seen.values())
      expect(afterMs).toBeLessThan((POLL_SECONDS + 2) * 1000);

    const get = (k: string) => seen.get(k)!.snapshot;
    expect(get('agy/agy@example.com').models).toContainEqual(
      expect.objectContaining({ name: 'gemini-2.5-pro', percentage: 80 }),
    );
    expect(get('gemini/cli@example.com')).toMatchObject({ success: true, tier: 'standard-tier' });
    expect(get('claude/max@example.com').windows?.[0]).toMatchObject({
      name: 'five_hour',
      percentage: 76,
    });
    expect(get('kimi/kimi-device-1').windows?.[0]).toMatchObject({
      name: 'weekly',
      percentage: 74,
    });
    expect(get('codex/plus@example.com')).toMatchObject({ success: true, plan: 'plus' });
    expect(get('codex/plus@example.com').windows?.[0].percentage).toBe(0);
    const codexCall = oauth.quotaCalls.find((c) => c.kind === 'codex');
    expect(codexCall?.headers['chatgpt-account-id']).toBe('acct-77');

    // The spent Codex account is benched until its reset: the only Codex account, so 429.
    const codexIndex = authIndexOf('file:codex-plus@example.com-plus.json');
    await waitFor(
      () =>
        !gwA.app.get(CredentialService).state.availability(codexIndex, 'gpt-5-codex', Date.now())
          .available,
      {
        what: 'the codex account benched on gateway A',
      },
    );
    const benched = await chat(gwA, 'gpt-5-codex');
    expect(benched.status).toBe(429);
    expect(benched.body).toContain('model_cooldown');

    // After the reset it serves again.
    await waitFor(async () => (await chat(gwA, 'gpt-5-codex')).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 500,
      what: 'the codex account back after its reset',
    });
    // Codex reports the reset in whole Unix seconds.
    expect(Date.now()).toBeGreaterThanOrEqual(Math.floor(resetAt / 1000) * 1000);

    const metrics = (await workers[0].app.get(MetricsService).render()).body;
    expect(metrics).toMatch(
      /switchboard_quota_remaining_ratio\{provider="agy",account="[0-9a-f]{8}",window="gemini-2\.5-pro"\} 0\.8/,
    );
    expect(metrics).toMatch(/switchboard_queue_jobs\{queue="quota",state="delayed"\} \d+/);
    expect(metrics).not.toContain('agy@example.com');
  }, 45_000);
});

describe('gateway: inline refresh when no worker runs', () => {
  let fake: FakeUpstream;
  let oauth: FakeOAuthServer;
  let authDir: string;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    oauth = await FakeOAuthServer.start({ tokenDelayMs: 300 });
    authDir = mkdtempSync(join(tmpdir(), 'sb-inline-auth-'));
    writeAuthFile(authDir, 'kimi-inline.json', {
      type: 'kimi',
      access_token: 'at-kimi-old',
      refresh_token: 'rt-kimi-inline',
      device_id: 'device-inline',
      expired: inMs(-60_000),
    });
    gw = await startGateway(
      configYaml(uniquePrefix('inline'), authDir, fake, oauth),
      'gateway-inline',
    );
  }, 30_000);

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await oauth?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  it('should refresh an expired token once under the lock and serve every waiting request', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => chat(gw, 'kimi-k2-thinking', `q${i}`)),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(oauth.refreshCount('rt-kimi-inline')).toBe(1);
    const call = oauth.refreshCalls[0];
    expect(call).toMatchObject({ provider: 'kimi', encoding: 'form' });
    const sent = new Set(fake.requests().map((r) => bearerOf(r.headers.authorization)));
    expect(sent.size).toBe(1);
    expect([...sent][0]).toMatch(/^at-kimi-/);
    expect(sent.has('at-kimi-old')).toBe(false);
    const written = JSON.parse(readFileSync(join(authDir, 'kimi-inline.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(written.device_id).toBe('device-inline');
    expect(written.access_token).toBe([...sent][0]);
  }, 20_000);
});
