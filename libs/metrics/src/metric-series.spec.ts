import { Counter, Histogram, Registry } from 'prom-client';
import { CounterSeries, HistogramSeries, LabelCache } from '@app/metrics';

type L = 'route' | 'status';

/** Two identical metrics on separate registries: one updated directly, one through handles. */
function counters(): { direct: Counter<L>; viaSeries: Counter<L>; registries: Registry[] } {
  const registries = [new Registry(), new Registry()];
  const [direct, viaSeries] = registries.map(
    (r) =>
      new Counter<L>({
        name: 'c_total',
        help: 'h',
        labelNames: ['route', 'status'],
        registers: [r],
      }),
  );
  return { direct, viaSeries, registries };
}

function histograms(): { direct: Histogram<L>; viaSeries: Histogram<L>; registries: Registry[] } {
  const registries = [new Registry(), new Registry()];
  const [direct, viaSeries] = registries.map(
    (r) =>
      new Histogram<L>({
        name: 'h_seconds',
        help: 'h',
        labelNames: ['route', 'status'],
        buckets: [0.01, 0.1, 1, 5, 30],
        registers: [r],
      }),
  );
  return { direct, viaSeries, registries };
}

async function texts(registries: Registry[]): Promise<string[]> {
  return Promise.all(registries.map((r) => r.metrics()));
}

const A = { route: '/a', status: '200' } as const;
const B = { status: '500', route: '/b' } as const; // key order must not matter

describe(CounterSeries.name, () => {
  it('should export exactly what direct label-object increments export', async () => {
    const { direct, viaSeries, registries } = counters();
    const a = new CounterSeries(viaSeries, A);
    const b = new CounterSeries(viaSeries, B);
    for (const [labels, series, v] of [
      [A, a, undefined],
      [B, b, 3],
      [A, a, 0],
      [A, a, 2.5],
      [B, b, undefined],
      [A, a, 1e9],
    ] as const) {
      direct.inc(labels, v);
      series.inc(v);
    }
    const [want, got] = await texts(registries);
    expect(got).toBe(want);
    expect(got).toContain('c_total{route="/a",status="200"} 1000000003.5');
    // Label order follows the object that created the series, as with direct calls.
    expect(got).toContain('c_total{status="500",route="/b"} 4');
  });

  it('should go through prom-client once per series, then update in place', () => {
    const { viaSeries } = counters();
    const inc = jest.spyOn(viaSeries, 'inc');
    const sut = new CounterSeries(viaSeries, A);
    for (let i = 0; i < 100; i++) sut.inc();
    expect(inc).toHaveBeenCalledTimes(1);
  });

  it('should reject what prom-client rejects and leave the series as it was', async () => {
    const { viaSeries } = counters();
    const sut = new CounterSeries(viaSeries, A);
    sut.inc(2);
    expect(() => sut.inc(-1)).toThrow('It is not possible to decrease a counter');
    expect(() => sut.inc(Infinity)).toThrow(TypeError);
    expect((await viaSeries.get()).values.map((v) => v.value)).toEqual([2]);
  });

  it('should start from zero after a registry reset, like direct increments', async () => {
    const { direct, viaSeries, registries } = counters();
    const sut = new CounterSeries(viaSeries, A);
    direct.inc(A, 5);
    sut.inc(5);
    for (const r of registries) r.resetMetrics();
    direct.inc(A, 2);
    sut.inc(2);
    const [want, got] = await texts(registries);
    expect(got).toBe(want);
    expect((await viaSeries.get()).values).toEqual([{ labels: A, value: 2 }]);
  });

  it('should recreate a removed series instead of counting into a detached one', async () => {
    const { viaSeries } = counters();
    const sut = new CounterSeries(viaSeries, A);
    sut.inc(4);
    viaSeries.remove(A);
    sut.inc();
    sut.inc();
    expect((await viaSeries.get()).values).toEqual([{ labels: A, value: 2 }]);
  });

  it('should keep counting through the public API when it cannot recognise the stored series', () => {
    const calls: unknown[][] = [];
    const opaque = { inc: (...args: unknown[]) => calls.push(args) } as unknown as Counter<L>;
    const sut = new CounterSeries(opaque, A);
    sut.inc();
    sut.inc(3);
    expect(calls).toEqual([
      [A, 1],
      [A, 3],
    ]);
  });
});

describe(HistogramSeries.name, () => {
  it('should export exactly what direct label-object observations export', async () => {
    const { direct, viaSeries, registries } = histograms();
    const a = new HistogramSeries(viaSeries, A);
    const b = new HistogramSeries(viaSeries, B);
    // Below, on and between bounds, above every bound, zero and negative.
    const values = [0.005, 0.01, 0.0100001, 0.5, 1, 4.2, 30, 31, 1000, 0, -0.25];
    values.forEach((v, i) => {
      const [labels, series] = i % 3 === 0 ? [B, b] : [A, a];
      direct.observe(labels, v);
      series.observe(v);
    });
    const [want, got] = await texts(registries);
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_bucket{le="+Inf",route="/a",status="200"} 7');
  });

  it('should go through prom-client once per series, then update in place', () => {
    const { viaSeries } = histograms();
    const observe = jest.spyOn(viaSeries, 'observe');
    const sut = new HistogramSeries(viaSeries, A);
    for (let i = 0; i < 100; i++) sut.observe(i / 10);
    expect(observe).toHaveBeenCalledTimes(1);
  });

  it('should reject a non-finite value as prom-client does', async () => {
    const { viaSeries } = histograms();
    const sut = new HistogramSeries(viaSeries, A);
    sut.observe(0.2);
    expect(() => sut.observe(NaN)).toThrow(TypeError);
    const count = (await viaSeries.get()).values.find((v) => v.metricName === 'h_seconds_count');
    expect(count?.value).toBe(1);
  });

  it('should start from zero after a registry reset or zero(), like direct observations', async () => {
    const { direct, viaSeries, registries } = histograms();
    const sut = new HistogramSeries(viaSeries, A);
    direct.observe(A, 0.5);
    sut.observe(0.5);
    for (const r of registries) r.resetMetrics();
    direct.observe(A, 2);
    sut.observe(2);
    let [want, got] = await texts(registries);
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_count{route="/a",status="200"} 1');

    direct.zero(A);
    viaSeries.zero(A);
    direct.observe(A, 0.05);
    sut.observe(0.05);
    [want, got] = await texts(registries);
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_sum{route="/a",status="200"} 0.05');
  });
});

describe(LabelCache.name, () => {
  it('should make each entry once and hand back the same one', () => {
    const make = jest.fn((k: string) => ({ k }));
    const sut = new LabelCache(make);
    const first = sut.get('x');
    expect(sut.get('x')).toBe(first);
    expect(sut.get('y')).toEqual({ k: 'y' });
    expect(make).toHaveBeenCalledTimes(2);
    expect(sut.size).toBe(2);
  });

  it('should start over once it holds limit entries, and still answer correctly', () => {
    const sut = new LabelCache((k: number) => ({ k }), 3);
    for (let i = 0; i < 3; i++) sut.get(i);
    expect(sut.size).toBe(3);
    expect(sut.get(7)).toEqual({ k: 7 });
    expect(sut.size).toBe(1);
    expect(sut.get(0)).toEqual({ k: 0 });
  });

  it('should lose no counts when a level of handles is dropped', async () => {
    const { viaSeries } = counters();
    const sut = new LabelCache(
      (status: string) => new CounterSeries(viaSeries, { route: '/a', status }),
      2,
    );
    for (const s of ['200', '500', '404', '200', '500', '200']) sut.get(s).inc();
    const values = Object.fromEntries(
      (await viaSeries.get()).values.map((v) => [v.labels.status, v.value]),
    );
    expect(values).toEqual({ '200': 3, '500': 2, '404': 1 });
  });
});
