import { parse } from 'yaml';
import { configSchema, maskConfig, maskSecret } from '@app/config/config.schema';
import {
  applySecretRestore,
  planSecretRestore,
  restoreSecretsInText,
} from '@app/config/secret-restore';

const GEMINI_A = 'AIzaSyA-real-gemini-key-0000';
const GEMINI_B = 'AIzaSyB-other-gemini-key-1111';
const CLIENT = 'sk-client-key-abcdefgh-9999';

const STORED = `# team config
api-keys:
  - ${CLIENT} # the team's key
  - short1
gemini-api-key:
  - api-key: ${GEMINI_A}
    base-url: https://a.example
    headers:
      Authorization: Bearer upstream-header-secret-42
      X-Team: blue
  - api-key: '${GEMINI_B}'
proxy-url: socks5://user:proxy-pass-secret@proxy.example:1080
limits:
  ${CLIENT}:
    rpm: 10
  '*':
    rpm: 100
`;

/** What an older GET /config answered for the stored text. */
function listing(text = STORED): Record<string, unknown> {
  return maskConfig(configSchema.parse(parse(text)));
}

describe(planSecretRestore.name, () => {
  const stored = parse(STORED) as Record<string, unknown>;

  it('should put back a list read from the masked listing and written back whole', () => {
    const masked = listing()['gemini-api-key'] as Record<string, unknown>[];
    expect(masked[0]['api-key']).toBe(maskSecret(GEMINI_A));
    // The UI's edit: change one entry's base-url, send the whole list back.
    masked[1]['base-url'] = 'https://b.example';
    const incoming = { 'gemini-api-key': masked };
    const sut = planSecretRestore(configSchema, incoming, stored);
    expect(sut.ambiguous).toEqual([]);
    const out = applySecretRestore(incoming, sut) as typeof incoming;
    expect(out['gemini-api-key'].map((e) => e['api-key'])).toEqual([GEMINI_A, GEMINI_B]);
    expect(out['gemini-api-key'][0].headers).toEqual({
      Authorization: 'Bearer upstream-header-secret-42',
      'X-Team': 'blue',
    });
    expect(out['gemini-api-key'][1]['base-url']).toBe('https://b.example');
  });

  it('should follow an entry that moved within its list', () => {
    const incoming = {
      'gemini-api-key': [{ 'api-key': maskSecret(GEMINI_B) }, { 'api-key': maskSecret(GEMINI_A) }],
    };
    const out = applySecretRestore(incoming, planSecretRestore(configSchema, incoming, stored));
    expect(out).toEqual({ 'gemini-api-key': [{ 'api-key': GEMINI_B }, { 'api-key': GEMINI_A }] });
  });

  it('should take real and new values as they are', () => {
    const incoming = {
      'api-keys': [CLIENT, 'a-brand-new-client-key-0000'],
      'gemini-api-key': [{ 'api-key': GEMINI_B }],
    };
    expect(planSecretRestore(configSchema, incoming, stored)).toEqual({
      restore: [],
      ambiguous: [],
    });
  });

  it('should restore URL passwords and scalar secrets', () => {
    const masked = listing();
    const incoming = { 'proxy-url': masked['proxy-url'], 'api-keys': masked['api-keys'] };
    expect(incoming['proxy-url']).toBe('socks5://user:****@proxy.example:1080');
    expect(applySecretRestore(incoming, planSecretRestore(configSchema, incoming, stored))).toEqual(
      {
        'proxy-url': 'socks5://user:proxy-pass-secret@proxy.example:1080',
        'api-keys': [CLIENT, 'short1'],
      },
    );
  });

  it('should put back the secret keys of per-client limits, keeping their order', () => {
    const incoming = { limits: listing().limits };
    expect(Object.keys(incoming.limits as object)).toEqual([maskSecret(CLIENT), '*']);
    const out = applySecretRestore(incoming, planSecretRestore(configSchema, incoming, stored));
    expect(Object.keys((out as typeof incoming).limits as object)).toEqual([CLIENT, '*']);
  });

  it('should prefer the same index when a mask stands for several secrets, else refuse', () => {
    const twins = parse('api-keys: [sk-twin-aaaa-0000-xyzw, sk-twin-bbbb-1111-xyzw]');
    expect(maskSecret('sk-twin-aaaa-0000-xyzw')).toBe(maskSecret('sk-twin-bbbb-1111-xyzw'));
    const same = { 'api-keys': ['sk-twin-aaaa-0000-xyzw', maskSecret('sk-twin-bbbb-1111-xyzw')] };
    expect(applySecretRestore(same, planSecretRestore(configSchema, same, twins))).toEqual({
      'api-keys': ['sk-twin-aaaa-0000-xyzw', 'sk-twin-bbbb-1111-xyzw'],
    });
    const moved = {
      'api-keys': ['new-key-0000000000000000', 'x', maskSecret('sk-twin-aaaa-0000-xyzw')],
    };
    expect(planSecretRestore(configSchema, moved, twins)).toEqual({
      restore: [],
      ambiguous: [['api-keys', 2]],
    });
  });
});

describe(restoreSecretsInText.name, () => {
  it('should splice the secrets back and leave every other byte alone', () => {
    const masked = STORED.replace(GEMINI_A, maskSecret(GEMINI_A))
      .replace(`'${GEMINI_B}'`, `'${maskSecret(GEMINI_B)}'`)
      .replace('proxy-pass-secret', '****')
      .replace(`${CLIENT} # the`, `${maskSecret(CLIENT)} # the`)
      .replace('rpm: 100', 'rpm: 200');
    const sut = restoreSecretsInText(masked, STORED);
    expect(sut.restored).toBe(4);
    expect(sut.text).toBe(
      STORED.replace(GEMINI_A, JSON.stringify(GEMINI_A))
        .replace(`'${GEMINI_B}'`, JSON.stringify(GEMINI_B))
        .replace(`${CLIENT} # the`, `${JSON.stringify(CLIENT)} # the`)
        .replace(
          'socks5://user:proxy-pass-secret@proxy.example:1080',
          JSON.stringify('socks5://user:proxy-pass-secret@proxy.example:1080'),
        )
        .replace('rpm: 100', 'rpm: 200'),
    );
  });

  it('should rename a masked limits key back to the client key', () => {
    const masked = STORED.replace(`  ${CLIENT}:\n`, `  ${maskSecret(CLIENT)}:\n`);
    const sut = restoreSecretsInText(masked, STORED);
    expect(sut.restored).toBe(1);
    expect(parse(sut.text)).toEqual(parse(STORED));
  });

  it('should leave text alone when nothing is stored or either side does not parse', () => {
    const masked = `api-keys: ['${maskSecret(CLIENT)}']\n`;
    expect(restoreSecretsInText(masked, undefined)).toEqual({
      text: masked,
      restored: 0,
      ambiguous: [],
    });
    expect(restoreSecretsInText('api-keys: [oops', STORED).restored).toBe(0);
    expect(restoreSecretsInText(masked, 'api-keys: [oops').restored).toBe(0);
  });

  it('should report a mask it cannot attribute', () => {
    const twins = 'api-keys: [sk-twin-aaaa-0000-xyzw, sk-twin-bbbb-1111-xyzw]\n';
    const sut = restoreSecretsInText(
      `api-keys: [x, y, '${maskSecret('sk-twin-aaaa-0000-xyzw')}']\n`,
      twins,
    );
    expect(sut.ambiguous).toEqual([['api-keys', 2]]);
  });
});
