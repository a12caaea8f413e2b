import { Logger } from '@nestjs/common';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig, ConfigService } from '@app/config';
import type { RedisService } from '@app/storage';
import { AUTH_DIR_CHANNEL, CredentialService } from '@app/routing/credential.service';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'auth-files');

type Listener = (next: Readonly<AppConfig>, prev: Readonly<AppConfig>) => void;

/** ConfigService as routing uses it: `current` and `onChange`. */
class FakeConfig {
  readonly listeners = new Set<Listener>();
  constructor(public current: Readonly<AppConfig>) {}

  onChange(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  set(next: Partial<AppConfig>): void {
    const prev = this.current;
    this.current = { ...prev, ...next };
    for (const l of this.listeners) l(this.current, prev);
  }
}

/** A Redis that is down, except for pub/sub delivery recorded in-process. */
class DownRedis {
  readonly published: { channel: string; message: string }[] = [];
  readonly handlers = new Map<string, (m: string) => void>();
  isReady = false;
  key(...parts: string[]): string {
    return parts.join(':');
  }
  async publish(channel: string, message: string): Promise<boolean> {
    this.published.push({ channel, message });
    return false;
  }
  subscribe(channel: string, handler: (m: string) => void): () => void {
    this.handlers.set(channel, handler);
    return () => this.handlers.delete(channel);
  }
}

function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > end) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe(CredentialService.name, () => {
  let dir: string;
  let config: FakeConfig;
  let redis: DownRedis;
  let sut: CredentialService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-creds-'));
    for (const f of [
      'claude-dev@example.com.json',
      'antigravity-dev@example.com.json',
      'kimi-device-abc.json',
    ]) {
      copyFileSync(join(FIXTURES, f), join(dir, f));
    }
    writeFileSync(join(dir, 'broken.json'), '{"type":"claude"}');
    config = new FakeConfig({
      'auth-dir': dir,
      'claude-api-key': [
        {
          'api-key': 'sk-ant-config-key',
          priority: 0,
          headers: {},
          models: [],
          'excluded-models': [],
        },
      ],
      'openai-compatibility': [
        {
          name: 'OpenRouter',
          priority: 0,
          'base-url': 'http://127.0.0.1:1/v1',
          'api-key-entries': [{ 'api-key': 'sk-or' }],
          models: [{ name: 'moonshotai/kimi-k2', alias: 'or-kimi' }],
          headers: {},
        },
      ],
      'oauth-model-alias': {},
      'oauth-excluded-models': {},
      'force-model-prefix': false,
      'disable-cooling': false,
      routing: { strategy: 'round-robin' },
    } as unknown as AppConfig);
    redis = new DownRedis();
    sut = new CredentialService(
      config as unknown as ConfigService,
      redis as unknown as RedisService,
      {
        authDir: { debounceMs: 30, pollMs: 30 },
      },
    );
    await sut.onModuleInit();
  });

  afterEach(() => {
    sut.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should load config keys and valid auth files, reporting the broken one', () => {
    const snap = sut.snapshot();
    expect(snap.credentials.map((c) => c.id)).toEqual([
      'config:claude-api-key[0]',
      'config:openai-compatibility[0]:OpenRouter[0]',
      'file:antigravity-dev@example.com.json',
      'file:claude-dev@example.com.json',
      'file:kimi-device-abc.json',
    ]);
    expect(snap.fileErrors.map((e) => e.file)).toEqual(['broken.json']);
    expect(Object.isFrozen(snap)).toBe(true);
    expect(snap.byAuthIndex.get(snap.credentials[0].authIndex)).toBe(snap.credentials[0]);
  });

  it('should summarise providers with at least one enabled credential', () => {
    // The antigravity file is disabled.
    expect(sut.providerSummary()).toEqual({ count: 3, active: ['OpenRouter', 'claude', 'kimi'] });
  });

  it('should resolve and list through the registry', () => {
    expect(sut.resolve('or-kimi')[0].upstreamModel).toBe('moonshotai/kimi-k2');
    // The Claude file has prefix team-a and priority 5: it comes first.
    expect(sut.resolve('claude-opus-4-5-20251101').map((c) => c.credential.id)).toEqual([
      'file:claude-dev@example.com.json',
      'config:claude-api-key[0]',
    ]);
    expect(sut.listModels().some((m) => m.id === 'team-a/claude-opus-4-5-20251101')).toBe(true);
    expect(sut.listModels({ provider: 'kimi' }).every((m) => m.provider === 'kimi')).toBe(true);
  });

  it('should bench a failing credential and answer cooldown once all are benched', async () => {
    const model = 'claude-opus-4-5-20251101';
    const [first, second] = sut.resolve(model);
    await sut.reportFailure({
      authIndex: first.credential.authIndex,
      model,
      status: 429,
      retryAfterSeconds: 30,
    });
    const picked = await sut.pick(model);
    expect(picked.kind === 'ok' && picked.candidates.map((c) => c.credential.id)).toEqual([
      second.credential.id,
    ]);
    await sut.reportFailure({
      authIndex: second.credential.authIndex,
      model: `${model}(high)`,
      status: 401,
    });
    expect(await sut.pick(`${model}(high)`)).toMatchObject({
      kind: 'cooldown',
      retryAfterSeconds: 30,
    });
    await sut.reportSuccess(first.credential.authIndex, model);
    expect((await sut.pick(model)).kind).toBe('ok');
    expect(await sut.pick('no-such-model')).toEqual({ kind: 'none' });
  });

  it('should serve a claude-* name no catalog lists and not bench its 404, keyed by the name as sent', async () => {
    const model = 'claude-opus-5-5';
    const [first, second] = sut.resolve(model);
    expect([first.upstreamModel, second.upstreamModel]).toEqual([model, model]);
    expect(sut.listModels().some((m) => m.id === model)).toBe(false);
    await sut.reportFailure({ authIndex: first.credential.authIndex, model, status: 404 });
    const after404 = await sut.pick(model);
    expect(after404.kind === 'ok' && after404.candidates.length).toBe(2);
    await sut.reportFailure({
      authIndex: first.credential.authIndex,
      model: `${model}(high)`,
      status: 429,
      retryAfterSeconds: 30,
    });
    const after429 = await sut.pick(model);
    expect(after429.kind === 'ok' && after429.candidates.map((c) => c.credential.id)).toEqual([
      second.credential.id,
    ]);
    // A catalog model's 404 still benches the credential for it.
    const listed = 'claude-opus-4-5-20251101';
    await sut.reportFailure({ authIndex: first.credential.authIndex, model: listed, status: 404 });
    const benched = await sut.pick(listed);
    expect(benched.kind === 'ok' && benched.candidates.map((c) => c.credential.id)).toEqual([
      second.credential.id,
    ]);
  });

  it('should tell attempt listeners every outcome, even when one listener throws', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const seen: [string, boolean][] = [];
    sut.onAttempt(() => {
      throw new Error('broken listener');
    });
    const off = sut.onAttempt((authIndex, success) => seen.push([authIndex, success]));
    const [c] = sut.resolve('or-kimi');
    const idx = c.credential.authIndex;
    await sut.reportFailure({ authIndex: idx, model: c.upstreamModel, status: 429 });
    await sut.reportSuccess(idx, c.upstreamModel);
    off();
    await sut.reportSuccess(idx, c.upstreamModel);
    expect(seen).toEqual([
      [idx, false],
      [idx, true],
    ]);
    expect(warn).toHaveBeenCalledWith('an attempt listener failed: broken listener');
    warn.mockRestore();
  });

  it('should not cool down with disable-cooling', async () => {
    config.set({ 'disable-cooling': true });
    const model = 'or-kimi';
    const [only] = sut.resolve(model);
    await sut.reportFailure({
      authIndex: only.credential.authIndex,
      model: only.upstreamModel,
      status: 500,
    });
    expect((await sut.pick(model)).kind).toBe('ok');
  });

  it('should rebuild on a config change and swap the snapshot', () => {
    const before = sut.snapshot();
    config.set({ 'force-model-prefix': true });
    const after = sut.snapshot();
    expect(after).not.toBe(before);
    expect(after.version).toBe(before.version + 1);
    expect(after.registry.resolve('claude-opus-4-5-20251101').map((c) => c.credential.id)).toEqual([
      'config:claude-api-key[0]',
    ]);
    expect(before.registry.resolve('claude-opus-4-5-20251101')).toHaveLength(2);
  });

  it('should reload when the auth dir changes and announce it to the cluster', async () => {
    copyFileSync(
      join(FIXTURES, 'qwen-dev@example.com.json'),
      join(dir, 'qwen-dev@example.com.json'),
    );
    unlinkSync(join(dir, 'kimi-device-abc.json'));
    await waitFor(() => sut.snapshot().credentials.some((c) => c.provider === 'qwen'));
    expect(sut.snapshot().credentials.some((c) => c.provider === 'kimi')).toBe(false);
    await waitFor(() => redis.published.some((p) => p.channel === AUTH_DIR_CHANNEL));
  });

  it('should reload on a peer announcement without re-announcing it', async () => {
    copyFileSync(
      join(FIXTURES, 'iflow-dev@example.com.json'),
      join(dir, 'iflow-dev@example.com.json'),
    );
    const announce = redis.handlers.get(AUTH_DIR_CHANNEL)!;
    sut.onApplicationShutdown(); // stop the local watcher: only the announcement may trigger the reload
    redis.published.length = 0;
    announce(JSON.stringify({ from: 'other', at: 1 }));
    await waitFor(() => sut.snapshot().credentials.some((c) => c.provider === 'iflow'));
    expect(redis.published).toEqual([]);
  });

  it('should ignore its own announcement', async () => {
    const version = sut.snapshot().version;
    redis.handlers.get(AUTH_DIR_CHANNEL)!(JSON.stringify({ from: sut.state.instanceId, at: 1 }));
    await new Promise((r) => setTimeout(r, 100));
    expect(sut.snapshot().version).toBe(version);
  });

  it('should switch directories when auth-dir changes in config', async () => {
    const other = mkdtempSync(join(tmpdir(), 'sb-creds2-'));
    try {
      copyFileSync(
        join(FIXTURES, 'codex-dev@example.com-plus.json'),
        join(other, 'codex-dev@example.com-plus.json'),
      );
      config.set({ 'auth-dir': other });
      await waitFor(() => sut.snapshot().credentials.some((c) => c.provider === 'codex'));
      expect(
        sut
          .snapshot()
          .credentials.filter((c) => c.source === 'file')
          .map((c) => c.provider),
      ).toEqual(['codex']);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
