import { Logger } from '@nestjs/common';
import {
  Credential,
  credentialsFromConfig,
  type CredentialService,
  type RoutingConfig,
} from '@app/routing';
import type { Increment } from '@app/usage/credential-activity';
import type {
  CredentialActivityRepository,
  StoredActivity,
} from '@app/usage/credential-activity.repository';
import { CredentialActivityService } from '@app/usage/credential-activity.service';

const NOON = new Date(2025, 6, 1, 12, 0, 0).getTime();

/** A repository over plain maps, with a switch to make Redis "down". */
class FakeRepo {
  down = false;
  readonly batches: { seq: number; increments: Increment[] }[] = [];
  private readonly hashes = new Map<string, Map<string, number>>();
  private readonly applied = new Set<number>();

  onReady(): () => void {
    return () => undefined;
  }

  async add(increments: readonly Increment[], _boot: string, seq: number): Promise<void> {
    if (this.down) throw new Error('Redis is down');
    this.batches.push({ seq, increments: [...increments] });
    if (this.applied.has(seq)) return;
    this.applied.add(seq);
    for (const inc of increments) {
      const h = this.hashes.get(String(inc.hash)) ?? new Map<string, number>();
      h.set(inc.field, (h.get(inc.field) ?? 0) + inc.amount);
      this.hashes.set(String(inc.hash), h);
    }
  }

  async read(buckets: readonly number[]): Promise<StoredActivity> {
    if (this.down) throw new Error('Redis is down');
    const counts = (hash: string) => {
      const out = new Map<string, { success: number; failed: number }>();
      for (const [field, n] of this.hashes.get(hash) ?? []) {
        const [id, kind] = field.split(':');
        const c = out.get(id) ?? { success: 0, failed: 0 };
        if (kind === 's') c.success += n;
        else c.failed += n;
        out.set(id, c);
      }
      return out;
    };
    return {
      totals: counts('total'),
      buckets: new Map(buckets.map((b) => [b, counts(String(b))])),
    };
  }
}

const CONFIG = {
  'gemini-api-key': [
    { 'api-key': 'AIza-one', 'base-url': 'https://g.example' },
    { 'api-key': 'AIza-one', 'base-url': 'https://g.example', 'proxy-url': 'http://p:1' },
  ],
  'claude-api-key': [{ 'api-key': 'sk-ant-1' }],
  'openai-compatibility': [
    {
      name: 'OpenRouter',
      'base-url': 'https://or.example/v1',
      'api-key-entries': [{ 'api-key': 'sk-or-1' }],
      models: [{ name: 'm' }],
    },
    { name: 'LocalNoKey', 'base-url': 'http://127.0.0.1:1/v1', models: [{ name: 'x' }] },
  ],
} as unknown as RoutingConfig;

function oauthFile(): Credential {
  return new Credential({
    id: 'file:claude-a.json',
    indexSeed: 'file:claude-a.json',
    provider: 'claude',
    channel: 'claude',
    kind: 'oauth',
    source: 'file',
    fileName: 'claude-a.json',
    label: 'a@example.com',
    secret: { accessToken: 'tok' },
  });
}

describe(CredentialActivityService.name, () => {
  let repo: FakeRepo;
  let credentials: Credential[];
  let listener: ((authIndex: string, success: boolean) => void) | undefined;
  let sut: CredentialActivityService;

  beforeEach(() => {
    repo = new FakeRepo();
    credentials = [...credentialsFromConfig(CONFIG), oauthFile()];
    const routing = {
      onAttempt: (fn: typeof listener) => {
        listener = fn;
        return () => (listener = undefined);
      },
      snapshot: () => ({ credentials }),
    };
    sut = new CredentialActivityService(
      repo as unknown as CredentialActivityRepository,
      routing as unknown as CredentialService,
      'gateway-test',
    );
    sut.onModuleInit();
  });

  afterEach(async () => {
    await sut.onApplicationShutdown();
  });

  it('should count every attempt routing reports and write them in one batch', async () => {
    const [a, b] = credentials;
    listener?.(a.authIndex, true);
    listener?.(a.authIndex, false);
    listener?.(b.authIndex, true);
    await sut.flush();
    expect(repo.batches).toHaveLength(1);
    const got = await sut.activity([a.authIndex, b.authIndex, 'unknown']);
    expect(got.get(a.authIndex)).toMatchObject({ success: 1, failed: 1 });
    expect(got.get(a.authIndex)?.recent_requests[19]).toMatchObject({ success: 1, failed: 1 });
    expect(got.get(b.authIndex)).toMatchObject({ success: 1, failed: 0 });
    expect(got.get('unknown')).toMatchObject({ success: 0, failed: 0 });
    expect(got.get('unknown')?.recent_requests).toHaveLength(20);
  });

  it('should retry a failed batch as is and never count it twice', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const id = credentials[0].authIndex;
    sut.record(id, true, NOON);
    repo.down = true;
    await sut.flush();
    sut.record(id, false, NOON);
    // While Redis is down, reads fall back to what this process counted.
    expect((await sut.activity([id], NOON)).get(id)).toMatchObject({ success: 1, failed: 1 });
    repo.down = false;
    await sut.flush(); // the held batch, same seq
    await sut.flush(); // what came meanwhile
    expect(repo.batches.map((b) => b.seq)).toEqual([1, 2]);
    const got = (await sut.activity([id], NOON)).get(id);
    expect(got).toMatchObject({ success: 1, failed: 1 });
    expect(got?.recent_requests[19]).toMatchObject({ success: 1, failed: 1 });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('should include its own unwritten attempts when asked', async () => {
    const id = credentials[0].authIndex;
    sut.record(id, true, NOON);
    expect(repo.batches).toHaveLength(0);
    expect((await sut.activity([id], NOON)).get(id)).toMatchObject({ success: 1 });
  });

  it('should answer api-key-usage per provider and base_url|api_key, adding shared keys up', async () => {
    const [g1, g2, claude, or] = credentials;
    sut.record(g1.authIndex, true, NOON);
    sut.record(g2.authIndex, false, NOON);
    sut.record(or.authIndex, true, NOON);
    const got = await sut.apiKeyUsage(NOON);
    expect(Object.keys(got).sort()).toEqual(['claude', 'gemini', 'openrouter']);
    expect(Object.keys(got.gemini)).toEqual(['https://g.example|AIza-one']);
    expect(got.gemini['https://g.example|AIza-one']).toMatchObject({ success: 1, failed: 1 });
    expect(got.gemini['https://g.example|AIza-one'].recent_requests[19]).toEqual({
      time: '12:00-12:10',
      success: 1,
      failed: 1,
    });
    expect(got.claude['|sk-ant-1']).toMatchObject({ success: 0, failed: 0 });
    expect(got.openrouter['https://or.example/v1|sk-or-1']).toMatchObject({ success: 1 });
    expect(claude.kind).toBe('api-key');
  });
});
