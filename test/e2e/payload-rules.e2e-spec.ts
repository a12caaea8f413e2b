import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import { postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-payload-client';
const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };

describe('payload rules and passthrough headers', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(
      `
api-keys: ["${CLIENT_KEY}"]
passthrough-headers: true
redis:
  key-prefix: "${uniquePrefix('payload')}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "p-openai"
    models:
      - name: gpt-pay
claude-api-key:
  - api-key: "p-claude"
    base-url: "${fake.url}"
    models:
      - name: claude-pay
payload:
  default:
    - models: [{ name: "gpt-*" }]
      params:
        temperature: 0.3
        "metadata.team": "blue"
  override:
    - models: [{ name: "gpt-pay" }]
      params:
        max_tokens: 77
    - models: [{ name: "*", protocol: claude }]
      params:
        "metadata.user_id": "claude-only"
  override-raw:
    - models: [{ name: "gpt-pay" }]
      params:
        response_format: '{"type":"json_object"}'
  filter:
    - models: [{ name: "gpt-pay" }]
      params: ["user", "stop"]
`,
      'gateway-payload',
    );
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  it('should set defaults, force overrides, parse raw values and remove filtered fields', async () => {
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      {
        model: 'gpt-pay',
        messages: [{ role: 'user', content: 'rules' }],
        max_tokens: 5,
        user: 'someone',
        stop: ['x'],
      },
      AUTH,
    );
    expect(res.status).toBe(200);
    const body = fake.lastRequest()?.body as Record<string, unknown>;
    expect(body.temperature).toBe(0.3);
    expect(body.metadata).toEqual({ team: 'blue' });
    expect(body.max_tokens).toBe(77);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body).not.toHaveProperty('user');
    expect(body).not.toHaveProperty('stop');
    // Only the Claude-protocol rule's field is missing: it names another protocol.
    expect(JSON.stringify(body)).not.toContain('claude-only');
  });

  it('should leave a field the client sent alone when a rule only gives a default', async () => {
    await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-pay', messages: [{ role: 'user', content: 'mine' }], temperature: 0.9 },
      AUTH,
    );
    expect((fake.lastRequest()?.body as { temperature: number }).temperature).toBe(0.9);
  });

  it('should apply protocol rules to that upstream format only', async () => {
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'claude-pay', messages: [{ role: 'user', content: 'to claude' }] },
      AUTH,
    );
    expect(res.status).toBe(200);
    const body = fake.lastRequest()?.body as Record<string, unknown>;
    expect(body.metadata).toEqual({ user_id: 'claude-only' });
    expect(body).not.toHaveProperty('temperature');
  });

  it('should forward rate-limit headers and retry hints, never other upstream headers', async () => {
    fake.onRequest(() => ({
      headers: {
        'x-ratelimit-remaining-requests': '41',
        'retry-after': '2',
        'x-request-id': 'upstream-req-1',
        'set-cookie': 'secret=1',
      },
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-pay',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    }));
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-pay', messages: [{ role: 'user', content: 'headers' }] },
      AUTH,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('41');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-upstream-request-id')).toBe('upstream-req-1');
    expect(res.headers.get('x-request-id')).not.toBe('upstream-req-1');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
