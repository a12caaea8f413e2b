import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  expandHome,
  formatConfigIssues,
  parseConfig,
  type ConfigIssue,
  type ConfigParseResult,
} from '@app/config/config.loader';
import { packageRoot } from '@app/config/config.repository';
import type { AppConfig } from '@app/config/config.schema';

function ok(result: ConfigParseResult): { config: Readonly<AppConfig>; warnings: ConfigIssue[] } {
  if (!result.ok) throw new Error(formatConfigIssues(result.errors, 'config.yaml'));
  return result;
}

function errorsOf(result: ConfigParseResult): ConfigIssue[] {
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

describe(parseConfig.name, () => {
  it('should accept an empty file and apply every default', () => {
    const { config, warnings } = ok(parseConfig(''));
    expect(config.port).toBe(8317);
    expect(config['api-keys']).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('should read the values of a CLIProxyAPI-style file', () => {
    const { config } = ok(
      parseConfig(
        [
          'port: 9000',
          'api-keys: ["k1", "k2"]',
          'routing:',
          '  strategy: fill-first',
          'gemini-api-key:',
          '  - api-key: "AIza-1"',
          '    models:',
          '      - name: gemini-2.5-flash',
          '        alias: flash',
          'oauth-excluded-models:',
          '  claude: ["claude-3-*"]',
        ].join('\n'),
      ),
    );
    expect(config.port).toBe(9000);
    expect(config['api-keys']).toEqual(['k1', 'k2']);
    expect(config.routing.strategy).toBe('fill-first');
    expect(config['gemini-api-key'][0].models).toEqual([
      { name: 'gemini-2.5-flash', alias: 'flash' },
    ]);
    expect(config['oauth-excluded-models']).toEqual({ claude: ['claude-3-*'] });
  });

  it('should report every problem at once, each with its path and line', () => {
    const text = [
      'host: ""', // 1
      'port: "8317"', // 2
      'api-keys: 7', // 3
      'gemini-api-key:', // 4
      '  - api-key: "AIza-ok"', // 5
      '  - base-url: "https://example.com"', // 6  (no api-key)
      '    priority: high', // 7
      'routing:', // 8
      '  strategy: random', // 9
      'trusted-proxies: ["10.0.0.0/99"]', // 10
    ].join('\n');
    const errors = errorsOf(parseConfig(text));
    const seen = errors.map((e) => `${e.line} ${e.path}`);
    expect(seen).toEqual([
      '2 port',
      '3 api-keys',
      '6 gemini-api-key[1].api-key',
      '7 gemini-api-key[1].priority',
      '9 routing.strategy',
      '10 trusted-proxies[0]',
    ]);
    expect(errors[0].message).toBe('Expected number, received string');
    expect(errors[2].message).toBe('Required');
    expect(errors[4].message).toMatch(/round-robin.*fill-first/);
  });

  it('should report YAML syntax errors with their lines', () => {
    const errors = errorsOf(parseConfig('port: 8317\napi-keys: [\n  - a\nport: 1\n'));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const e of errors) {
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.message).toMatch(/^YAML syntax: /);
    }
  });

  it('should report duplicate keys as errors', () => {
    const errors = errorsOf(parseConfig('port: 1\nport: 2\n'));
    expect(errors).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringMatching(/unique/) }),
    ]);
  });

  it('should reject a document that is not a mapping', () => {
    expect(errorsOf(parseConfig('- a\n- b\n'))[0].message).toMatch(/mapping/);
  });

  it('should keep unknown keys and warn about them with path and line', () => {
    const text = [
      'prot: 1',
      'claude-api-key:',
      '  - api-key: k',
      '    custom-flag: true',
      'pprof:',
      '  enable: true',
    ].join('\n');
    const { config, warnings } = ok(parseConfig(text));
    expect(warnings).toEqual([
      expect.objectContaining({
        path: 'prot',
        line: 1,
        message: expect.stringMatching(/did you mean "port"/),
      }),
      expect.objectContaining({ path: 'claude-api-key[0].custom-flag', line: 4 }),
      expect.objectContaining({ path: 'pprof', line: 5 }),
    ]);
    const loose = config as unknown as Record<string, unknown>;
    expect(loose.prot).toBe(1);
    expect(loose.pprof).toEqual({ enable: true });
    expect((config['claude-api-key'][0] as unknown as Record<string, unknown>)['custom-flag']).toBe(
      true,
    );
    expect(config.port).toBe(8317);
  });

  it('should treat keys left empty as absent, as CLIProxyAPI does', () => {
    const { config } = ok(parseConfig('api-keys:\ngemini-api-key:\nremote-management:\nport:\n'));
    expect(config['api-keys']).toEqual([]);
    expect(config['gemini-api-key']).toEqual([]);
    expect(config['remote-management']['secret-key']).toBe('');
    expect(config.port).toBe(8317);
  });

  it('should honour YAML anchors and merge keys', () => {
    const text = [
      'base: &base',
      '  priority: 5',
      '  base-url: https://proxy.example',
      'claude-api-key:',
      '  - <<: *base',
      '    api-key: k1',
    ].join('\n');
    const { config } = ok(parseConfig(text));
    expect(config['claude-api-key'][0]).toMatchObject({
      'api-key': 'k1',
      priority: 5,
      'base-url': 'https://proxy.example',
    });
  });

  it('should expand ~ in path fields only', () => {
    const { config } = ok(
      parseConfig(
        'auth-dir: "~/.cli-proxy-api"\ntls:\n  cert: ~/tls/cert.pem\n  key: /etc/key.pem\nhost: "~"\n',
      ),
    );
    expect(config['auth-dir']).toBe(join(homedir(), '.cli-proxy-api'));
    expect(config.tls.cert).toBe(join(homedir(), 'tls/cert.pem'));
    expect(config.tls.key).toBe('/etc/key.pem');
    expect(config.host).toBe('~');
  });

  it('should return a deep-frozen config', () => {
    const { config } = ok(parseConfig('api-keys: [a]\ngemini-api-key:\n  - api-key: k\n'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config['api-keys'])).toBe(true);
    expect(Object.isFrozen(config['gemini-api-key'][0])).toBe(true);
    expect(() => config['api-keys'].push('b')).toThrow(TypeError);
  });

  it('should mask per-client limit keys in problem paths', () => {
    const errors = errorsOf(parseConfig('limits:\n  sk-client-key-0123456789:\n    rpm: lots\n'));
    expect(errors[0]).toMatchObject({ line: 3, path: 'limits["sk-…6789"].rpm' });
    expect(formatConfigIssues(errors, 'config.yaml')).not.toContain('sk-client-key-0123456789');
  });

  it('should parse config.example.yaml without errors or warnings', () => {
    const text = readFileSync(join(packageRoot(), 'config.example.yaml'), 'utf8');
    const { config, warnings } = ok(parseConfig(text));
    expect(warnings).toEqual([]);
    expect(config.port).toBe(8317);
    expect(config['auth-dir']).toBe('./auths');
    expect(config['api-keys'].length).toBeGreaterThan(0);
  });

  it('should document every schema key in config.example.yaml', () => {
    const text = readFileSync(join(packageRoot(), 'config.example.yaml'), 'utf8');
    const { config } = ok(parseConfig(''));
    for (const key of Object.keys(config)) {
      expect(text).toMatch(new RegExp(`^#?\\s*${key}:`, 'm'));
    }
  });
});

describe(formatConfigIssues.name, () => {
  it('should list every issue in one message', () => {
    const sut = formatConfigIssues(
      [
        { path: 'port', line: 4, message: 'Expected number, received string' },
        { path: 'gemini-api-key[1].api-key', line: 9, message: 'Required' },
        { path: '', line: 12, message: 'YAML syntax: bad' },
      ],
      'config.yaml',
    );
    expect(sut).toBe(
      [
        'config.yaml: 3 problems:',
        '  - line 4: port: Expected number, received string',
        '  - line 9: gemini-api-key[1].api-key: Required',
        '  - line 12: YAML syntax: bad',
      ].join('\n'),
    );
  });

  it('should use the singular for one issue', () => {
    expect(formatConfigIssues([{ path: 'x', message: 'm' }], 'c.yaml', 'warning')).toBe(
      'c.yaml: 1 warning:\n  - x: m',
    );
  });
});

describe(expandHome.name, () => {
  it('should expand only a leading ~', () => {
    expect(expandHome('~')).toBe(homedir());
    expect(expandHome('~/a/b')).toBe(join(homedir(), 'a/b'));
    expect(expandHome('./~/a')).toBe('./~/a');
    expect(expandHome('~user/a')).toBe('~user/a');
  });
});
