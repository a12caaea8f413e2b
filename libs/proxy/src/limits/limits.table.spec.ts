import { keyId } from '@app/common';
import { configSchema, maskConfig, type AppConfig } from '@app/config';
import {
  buildLimitsTable,
  EMPTY_LIMITS,
  modelAllowed,
  requestedModel,
} from '@app/proxy/limits/limits.table';

const A = 'sk-client-aaaa-0001';
const B = 'sk-client-bbbb-0002';
const C = 'sk-client-cccc-0003';

function limitsOf(raw: Record<string, unknown>): AppConfig['limits'] {
  return configSchema.parse({ limits: raw }).limits;
}

describe(buildLimitsTable.name, () => {
  it('should key each configured client key by its key id', () => {
    const sut = buildLimitsTable(limitsOf({ [A]: { rpm: 60, concurrency: 2 } }), [A, B]);
    expect([...sut.byKeyId.keys()]).toEqual([keyId(A)]);
    expect(sut.byKeyId.get(keyId(A))).toMatchObject({
      keyId: keyId(A),
      rpm: 60,
      concurrency: 2,
      tpm: 0,
      tpd: 0,
      counted: true,
      countsTokens: false,
      allowsModel: undefined,
    });
  });

  it('should apply the * entry to every key without its own, and let {} exempt a key', () => {
    const sut = buildLimitsTable(limitsOf({ '*': { rpm: 10 }, [B]: { tpm: 500 }, [C]: {} }), [
      A,
      B,
      C,
    ]);
    expect(sut.byKeyId.get(keyId(A))?.rpm).toBe(10);
    expect(sut.byKeyId.get(keyId(B))).toMatchObject({ rpm: 0, tpm: 500, countsTokens: true });
    expect(sut.byKeyId.has(keyId(C))).toBe(false);
  });

  it('should accept a key id in place of the key', () => {
    const sut = buildLimitsTable(limitsOf({ [keyId(B)]: { tpd: 1000 } }), [A, B]);
    expect(sut.byKeyId.get(keyId(B))?.tpd).toBe(1000);
    expect(sut.unmatched).toEqual([]);
  });

  it('should report entries naming no configured key, masked', () => {
    const sut = buildLimitsTable(limitsOf({ 'sk-not-configured-9999': { rpm: 1 } }), [A]);
    expect(sut.byKeyId.size).toBe(0);
    expect(sut.unmatched).toEqual(['sk-…9999']);
  });

  it('should be empty with open access or without limits', () => {
    expect(buildLimitsTable(limitsOf({ '*': { rpm: 1 } }), [])).toBe(EMPTY_LIMITS);
    expect(buildLimitsTable(limitsOf({}), [A])).toBe(EMPTY_LIMITS);
  });

  it('should keep a models-only entry but mark it as needing no counters', () => {
    const sut = buildLimitsTable(limitsOf({ [A]: { models: ['gpt-*'] } }), [A]);
    expect(sut.byKeyId.get(keyId(A))).toMatchObject({ counted: false, countsTokens: false });
  });
});

describe('limits schema', () => {
  it('should refuse a misspelt field instead of leaving the key unlimited', () => {
    const r = configSchema.safeParse({ limits: { [A]: { 'requests-per-minute': 5 } } });
    expect(r.success).toBe(false);
  });

  it('should mask client keys in listings but show the * entry as it is', () => {
    const masked = maskConfig(configSchema.parse({ limits: { [A]: { rpm: 1 }, '*': { rpm: 2 } } }));
    expect(masked.limits).toEqual({ '…0001': { rpm: 1 }, '*': { rpm: 2 } });
  });

  it('should refuse zero and fractions', () => {
    expect(configSchema.safeParse({ limits: { [A]: { rpm: 0 } } }).success).toBe(false);
    expect(configSchema.safeParse({ limits: { [A]: { tpm: 1.5 } } }).success).toBe(false);
  });
});

describe(modelAllowed.name, () => {
  const table = buildLimitsTable(limitsOf({ [A]: { models: ['gemini-*', 'gpt-4o'] } }), [A]);
  const sut = table.byKeyId.get(keyId(A))!;

  it('should allow listed names and wildcard matches, case-insensitively', () => {
    expect(modelAllowed(sut, 'gemini-2.5-pro')).toBe(true);
    expect(modelAllowed(sut, 'GPT-4o')).toBe(true);
  });

  it('should refuse other models', () => {
    expect(modelAllowed(sut, 'gpt-4o-mini')).toBe(false);
    expect(modelAllowed(sut, 'claude-sonnet-4')).toBe(false);
  });

  it('should judge a model with a thinking suffix by its base name', () => {
    expect(modelAllowed(sut, 'gpt-4o(8192)')).toBe(true);
    expect(modelAllowed(sut, 'claude-x(high)')).toBe(false);
  });

  it('should leave an empty model to the pipeline', () => {
    expect(modelAllowed(sut, '')).toBe(true);
  });
});

describe(requestedModel.name, () => {
  it('should prefer the route model, then the body model', () => {
    expect(requestedModel('gemini-x', { model: 'other' })).toBe('gemini-x');
    expect(requestedModel(undefined, { model: 'gpt-y' })).toBe('gpt-y');
  });

  it('should give an empty name for bodies without a string model', () => {
    expect(requestedModel(undefined, { model: 7 })).toBe('');
    expect(requestedModel(undefined, 'text')).toBe('');
    expect(requestedModel(undefined, null)).toBe('');
  });
});
