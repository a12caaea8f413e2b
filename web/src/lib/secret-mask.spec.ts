import { collectSecrets, maskLikeGateway, maskYaml } from './secret-mask';

describe('maskLikeGateway', () => {
  it('should mask as the gateway lists secrets', () => {
    expect(maskLikeGateway('short')).toBe('****');
    expect(maskLikeGateway('abcdefghijkl1234')).toBe('…1234');
    expect(maskLikeGateway('sk-panel-client-0001')).toBe('sk-…0001');
  });
});

describe('maskYaml', () => {
  const config = {
    'api-keys': ['sk-panel-client-0001'],
    'remote-management': { 'secret-key': 'management-secret-9' },
    'claude-api-key': [
      { 'api-key': 'sk-ant-api03-abcdefgh', headers: { 'X-Api-Key': 'hdr-secret-123456' } },
    ],
    'proxy-url': 'socks5://user:pa55word@proxy:1080',
    limits: { 'sk-panel-client-0001': { rpm: 5 }, '*': { rpm: 1 } },
  };
  const text = `api-keys:
  - "sk-panel-client-0001"
remote-management:
  secret-key: management-secret-9
claude-api-key:
  - api-key: 'sk-ant-api03-abcdefgh'
    headers:
      X-Api-Key: hdr-secret-123456
proxy-url: socks5://user:pa55word@proxy:1080
limits:
  sk-panel-client-0001:
    rpm: 5
  "*":
    rpm: 1
# sk-panel-client-0001x is not the key
`;

  it('should hide every secret where it stands as a value, and leave other text alone', () => {
    const out = maskYaml(text, collectSecrets(config));
    expect(out).not.toContain('sk-panel-client-0001"');
    expect(out).toContain('  - "sk-…0001"');
    expect(out).toContain('secret-key: …et-9');
    expect(out).toContain("api-key: 'sk-…efgh'");
    expect(out).toContain('X-Api-Key: …3456');
    expect(out).toContain('socks5://user:****@proxy:1080');
    expect(out).toContain('  sk-…0001:');
    expect(out).toContain('# sk-panel-client-0001x is not the key');
  });
});
