import type { UsageRecord } from '@app/usage';

/**
 * A finished request's usage record for tests: a successful non-stream OpenAI call with 10 tokens
 * and 300 ms, changed by `over`.
 */
export function usageRecord(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: 'r',
    timestamp: '',
    api: 'sk-…1111',
    clientKeyId: 'aaaa1111',
    model: 'm1',
    upstreamModel: 'm1',
    provider: 'claude',
    source: 'a@example.com',
    authIndex: 'ai1',
    credentialId: 'c1',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: 200,
    failed: false,
    latencyMs: 300,
    attempts: 1,
    tokens: {
      input_tokens: 3,
      output_tokens: 7,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 10,
    },
    ...over,
  };
}

/** The token counts of a record with only `total_tokens` set. */
export function totalTokens(total: number): UsageRecord['tokens'] {
  return {
    input_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    cached_tokens: 0,
    total_tokens: total,
  };
}
