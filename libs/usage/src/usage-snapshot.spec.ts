import { SEP } from '@app/usage/usage-entry';
import {
  dayInRange,
  daysOf,
  hourInRange,
  pairKey,
  pairsOf,
  snapshotFromAggregates,
  snapshotFromCells,
  type AggregateHashes,
  type DayCells,
} from '@app/usage/usage-snapshot';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';

const f = (...parts: string[]) => parts.join(SEP);

/** Two keys, two models, two days; 5 requests (1 failed), 140 tokens. */
const RAW: AggregateHashes = {
  totals: { requests: '5', success: '4', failure: '1', tokens: '140' },
  api: {
    [f('key-a', 'r')]: '3',
    [f('key-a', 't')]: '90',
    [f('key-b', 'r')]: '2',
    [f('key-b', 't')]: '50',
  },
  model: {
    [f('key-a', 'gpt', 'r')]: '2',
    [f('key-a', 'gpt', 't')]: '50',
    [f('key-a', 'claude', 'r')]: '1',
    [f('key-a', 'claude', 't')]: '40',
    [f('key-b', 'gpt', 'r')]: '2',
    [f('key-b', 'gpt', 't')]: '50',
  },
  day: {
    [f('2025-01-01', 'r')]: '3',
    [f('2025-01-01', 't')]: '90',
    [f('2025-01-02', 'r')]: '2',
    [f('2025-01-02', 't')]: '50',
  },
  hour: {
    [f('2025-01-01T10', 'r')]: '2',
    [f('2025-01-01T10', 't')]: '50',
    [f('2025-01-01T23', 'r')]: '1',
    [f('2025-01-01T23', 't')]: '40',
    [f('2025-01-02T10', 'r')]: '2',
    [f('2025-01-02T10', 't')]: '50',
  },
};

/** The same five requests as per-hour cells. */
const CELLS: DayCells[] = [
  {
    day: '2025-01-01',
    fields: {
      [f('10', 'key-a', 'gpt', 'r')]: '2',
      [f('10', 'key-a', 'gpt', 't')]: '50',
      [f('10', 'key-a', 'gpt', 'f')]: '1',
      [f('23', 'key-a', 'claude', 'r')]: '1',
      [f('23', 'key-a', 'claude', 't')]: '40',
    },
  },
  {
    day: '2025-01-02',
    fields: {
      [f('10', 'key-b', 'gpt', 'r')]: '2',
      [f('10', 'key-b', 'gpt', 't')]: '50',
    },
  },
];

function detail(ts: string): UsageDetail {
  return {
    timestamp: ts,
    latency_ms: 1,
    source: 's',
    auth_index: '0',
    tokens: {
      input_tokens: 1,
      output_tokens: 1,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 2,
    },
    failed: false,
  };
}

describe(snapshotFromAggregates.name, () => {
  it("should build CLIProxyAPI's snapshot shape from the aggregate hashes", () => {
    const details = new Map([
      [pairKey('key-a', 'claude'), [detail('2025-01-01T23:00:00.000000000Z')]],
    ]);
    const s = snapshotFromAggregates(RAW, details);
    expect(s).toEqual({
      total_requests: 5,
      success_count: 4,
      failure_count: 1,
      total_tokens: 140,
      apis: {
        'key-a': {
          total_requests: 3,
          total_tokens: 90,
          models: {
            claude: {
              total_requests: 1,
              total_tokens: 40,
              details: [detail('2025-01-01T23:00:00.000000000Z')],
            },
            gpt: { total_requests: 2, total_tokens: 50, details: [] },
          },
        },
        'key-b': {
          total_requests: 2,
          total_tokens: 50,
          models: { gpt: { total_requests: 2, total_tokens: 50, details: [] } },
        },
      },
      requests_by_day: { '2025-01-01': 3, '2025-01-02': 2 },
      tokens_by_day: { '2025-01-01': 90, '2025-01-02': 50 },
      // Hours are hours of the day, summed over every date.
      requests_by_hour: { '10': 4, '23': 1 },
      tokens_by_hour: { '10': 100, '23': 40 },
    });
  });

  it('should answer an empty snapshot for empty hashes', () => {
    const s = snapshotFromAggregates(
      { totals: {}, api: {}, model: {}, day: {}, hour: {} },
      new Map(),
    );
    expect(s.total_requests).toBe(0);
    expect(s.apis).toEqual({});
    expect(s.requests_by_hour).toEqual({});
  });

  it('should ignore fields of a foreign layout instead of inventing entries', () => {
    const s = snapshotFromAggregates(
      { ...RAW, api: { ...RAW.api, junk: '9' }, model: { ...RAW.model, [f('x', 'r')]: '1' } },
      new Map(),
    );
    expect(Object.keys(s.apis)).toEqual(['key-a', 'key-b']);
  });
});

describe(snapshotFromCells.name, () => {
  it('should narrow to one key and model with exact counts', () => {
    const s = snapshotFromCells(CELLS, { api: 'key-b', model: 'gpt' }, new Map());
    expect(s.total_requests).toBe(2);
    expect(s.total_tokens).toBe(50);
    expect(s.failure_count).toBe(0);
    expect(s.success_count).toBe(2);
    expect(Object.keys(s.apis)).toEqual(['key-b']);
    expect(s.requests_by_day).toEqual({ '2025-01-02': 2 });
  });

  it('should narrow by time to the hours overlapping the range', () => {
    const s = snapshotFromCells(
      CELLS,
      { fromMs: Date.UTC(2025, 0, 1, 10, 30), toMs: Date.UTC(2025, 0, 1, 22, 0) },
      new Map(),
    );
    expect(s.total_requests).toBe(2);
    expect(s.failure_count).toBe(1);
    expect(s.apis['key-a'].models.gpt.total_tokens).toBe(50);
    expect(s.apis['key-a'].models.claude).toBeUndefined();
    expect(s.requests_by_hour).toEqual({ '10': 2 });
  });

  it('should count failures per hour as success_count = requests - failures', () => {
    const s = snapshotFromCells(CELLS, {}, new Map());
    expect(s).toMatchObject({
      total_requests: 5,
      failure_count: 1,
      success_count: 4,
      total_tokens: 140,
    });
    expect(s.requests_by_hour).toEqual({ '10': 4, '23': 1 });
  });

  it('should agree with the aggregate path when nothing is narrowed', () => {
    const details = new Map([
      [pairKey('key-b', 'gpt'), [detail('2025-01-02T10:00:00.000000000Z')]],
    ]);
    expect(snapshotFromCells(CELLS, {}, details)).toEqual(snapshotFromAggregates(RAW, details));
  });

  it('should attach the given details to the models it reports', () => {
    const d = [detail('2025-01-02T10:00:00.000000000Z')];
    const s = snapshotFromCells(CELLS, { model: 'gpt' }, new Map([[pairKey('key-b', 'gpt'), d]]));
    expect(s.apis['key-b'].models.gpt.details).toEqual(d);
    expect(s.apis['key-a'].models.gpt.details).toEqual([]);
  });
});

describe('usage time ranges', () => {
  it('should include an hour that overlaps the range at either end', () => {
    const range = { fromMs: Date.UTC(2025, 0, 1, 10, 59), toMs: Date.UTC(2025, 0, 1, 12, 0) };
    expect(hourInRange('2025-01-01', '09', range)).toBe(false);
    expect(hourInRange('2025-01-01', '10', range)).toBe(true);
    expect(hourInRange('2025-01-01', '12', range)).toBe(true);
    expect(hourInRange('2025-01-01', '13', range)).toBe(false);
    expect(hourInRange('2025-01-01', '13', {})).toBe(true);
  });

  it('should include a day that overlaps the range', () => {
    const range = { fromMs: Date.UTC(2025, 0, 2, 23), toMs: Date.UTC(2025, 0, 3, 1) };
    expect(dayInRange('2025-01-01', range)).toBe(false);
    expect(dayInRange('2025-01-02', range)).toBe(true);
    expect(dayInRange('2025-01-03', range)).toBe(true);
    expect(dayInRange('2025-01-04', range)).toBe(false);
  });

  it('should list pairs and days from the index hashes', () => {
    expect(pairsOf(RAW.model)).toEqual([
      { api: 'key-a', model: 'gpt' },
      { api: 'key-a', model: 'claude' },
      { api: 'key-b', model: 'gpt' },
    ]);
    expect(daysOf(RAW.day)).toEqual(['2025-01-01', '2025-01-02']);
  });
});
