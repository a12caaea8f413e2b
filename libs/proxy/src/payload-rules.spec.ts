import { configSchema } from '@app/config';
import { PayloadRules, payloadRulesFor, type PayloadConfig } from '@app/proxy/payload-rules';

/** A payload section as config.yaml would give it (defaults filled in by the schema). */
function payload(section: Record<string, unknown>): PayloadConfig {
  return configSchema.parse({ payload: section }).payload;
}

describe(PayloadRules.name, () => {
  const target = { model: 'gpt-5', format: 'openai' as const };

  it('should be empty without rules and return the body itself', () => {
    const sut = PayloadRules.compile(payload({}));
    const body = { model: 'gpt-5' };
    expect(sut.empty).toBe(true);
    expect(sut.apply(body, target)).toBe(body);
  });

  it('should set a default only when the field is absent', () => {
    const sut = PayloadRules.compile(
      payload({
        default: [
          { models: [{ name: 'gpt-*' }], params: { temperature: 0.2, 'metadata.team': 'a' } },
        ],
      }),
    );
    expect(sut.apply({ model: 'gpt-5' }, target)).toEqual({
      model: 'gpt-5',
      temperature: 0.2,
      metadata: { team: 'a' },
    });
    expect(sut.apply({ model: 'gpt-5', temperature: 1 }, target)).toMatchObject({
      temperature: 1,
    });
  });

  it('should let the first matching default win and the last matching override win', () => {
    const sut = PayloadRules.compile(
      payload({
        default: [
          { models: [{ name: '*' }], params: { top_p: 0.1 } },
          { models: [{ name: '*' }], params: { top_p: 0.9 } },
        ],
        override: [
          { models: [{ name: '*' }], params: { max_tokens: 10 } },
          { models: [{ name: 'gpt-5' }], params: { max_tokens: 20 } },
        ],
      }),
    );
    expect(sut.apply({ max_tokens: 1 }, target)).toEqual({ top_p: 0.1, max_tokens: 20 });
  });

  it('should parse raw values as JSON text once and set them', () => {
    const sut = PayloadRules.compile(
      payload({
        'override-raw': [
          { models: [{ name: 'gpt-5' }], params: { response_format: '{"type":"json_object"}' } },
        ],
        'default-raw': [{ models: [{ name: 'gpt-5' }], params: { n: '2' } }],
      }),
    );
    expect(sut.apply({}, target)).toEqual({ response_format: { type: 'json_object' }, n: 2 });
  });

  it('should skip a raw value that is not JSON (config validation normally refuses it)', () => {
    const cfg: PayloadConfig = {
      ...payload({}),
      'default-raw': [{ models: [{ name: 'gpt-5' }], params: { n: '2', bad: '{oops' } }],
    };
    const sut = PayloadRules.compile(cfg);
    expect(sut.apply({}, target)).toEqual({ n: 2 });
    expect(sut.warnings).toEqual([expect.stringContaining('"bad" is not valid JSON')]);
  });

  it('should be refused by config validation when a raw value is not JSON text', () => {
    const r = configSchema.safeParse({
      payload: { 'override-raw': [{ models: [{ name: '*' }], params: { x: '{oops' } }] },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['payload', 'override-raw', 0, 'params', 'x']);
  });

  it('should remove filtered paths, including array elements', () => {
    const sut = PayloadRules.compile(
      payload({
        filter: [{ models: [{ name: 'gpt-5' }], params: ['metadata.user', 'stop.0'] }],
      }),
    );
    const body = { metadata: { user: 'u', keep: 1 }, stop: ['a', 'b'] };
    expect(sut.apply(body, target)).toEqual({ metadata: { keep: 1 }, stop: ['b'] });
    expect(body).toEqual({ metadata: { user: 'u', keep: 1 }, stop: ['a', 'b'] });
  });

  it('should honour the protocol of a model entry', () => {
    const sut = PayloadRules.compile(
      payload({
        override: [{ models: [{ name: '*', protocol: 'claude' }], params: { x: 1 } }],
      }),
    );
    expect(sut.apply({}, { model: 'm', format: 'claude' })).toEqual({ x: 1 });
    expect(sut.apply({}, { model: 'm', format: 'openai' })).toEqual({});
  });

  it("should accept CLIProxyAPI's openai-response protocol name", () => {
    const sut = PayloadRules.compile(
      payload({
        override: [{ models: [{ name: '*', protocol: 'openai-response' }], params: { x: 1 } }],
      }),
    );
    expect(sut.apply({}, { model: 'm', format: 'openai-responses' })).toEqual({ x: 1 });
  });

  it("should match the client's model name and its name without a thinking suffix", () => {
    const sut = PayloadRules.compile(
      payload({
        override: [
          { models: [{ name: 'my-alias' }], params: { a: 1 } },
          { models: [{ name: 'my-alias(high)' }], params: { b: 1 } },
        ],
      }),
    );
    expect(
      sut.apply({}, { model: 'upstream-name', requestedModel: 'my-alias(high)', format: 'openai' }),
    ).toEqual({ a: 1, b: 1 });
    expect(sut.apply({}, { model: 'other', format: 'openai' })).toEqual({});
  });

  it('should write under request for the Code Assist envelopes', () => {
    const sut = PayloadRules.compile(
      payload({
        override: [
          { models: [{ name: 'gemini-*' }], params: { 'generationConfig.temperature': 0 } },
        ],
      }),
    );
    const body = { model: 'gemini-2.5-pro', project: 'p', request: { contents: [] } };
    expect(sut.apply(body, { model: 'gemini-2.5-pro', format: 'gemini-cli' })).toEqual({
      model: 'gemini-2.5-pro',
      project: 'p',
      request: { contents: [], generationConfig: { temperature: 0 } },
    });
  });

  it('should ignore rules without models', () => {
    const sut = PayloadRules.compile(payload({ override: [{ params: { x: 1 } }] }));
    expect(sut.empty).toBe(true);
  });
});

describe(payloadRulesFor.name, () => {
  it('should compile once per config version', () => {
    const cfg = configSchema.parse({
      payload: { override: [{ models: [{ name: '*' }], params: { x: 1 } }] },
    });
    expect(payloadRulesFor(cfg)).toBe(payloadRulesFor(cfg));
    const next = configSchema.parse({});
    expect(payloadRulesFor(next)).not.toBe(payloadRulesFor(cfg));
  });
});
