import { RateMeter } from './rate-meter';

describe(RateMeter.name, () => {
  let t: number;
  let sut: RateMeter;

  beforeEach(() => {
    t = 1_000_000_000;
    sut = new RateMeter(10, () => t);
  });

  it('should count events into per-second buckets', () => {
    sut.add();
    sut.add();
    t += 1000;
    sut.add();
    expect(sut.series().slice(-2)).toEqual([2, 1]);
  });

  it('should average complete seconds only', () => {
    for (let s = 0; s < 5; s++) {
      sut.add();
      sut.add();
      t += 1000;
    }
    sut.add(); // the current second is still filling
    expect(sut.rate(5)).toBe(2);
  });

  it('should forget events older than the window', () => {
    sut.add();
    t += 10_000;
    expect(sut.series().reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('should drop events stamped before the window and place late ones in their second', () => {
    t += 20_000;
    sut.series();
    sut.add(t - 15_000);
    sut.add(t - 2_000);
    const series = sut.series();
    expect(series.reduce((a, b) => a + b, 0)).toBe(1);
    expect(series[series.length - 3]).toBe(1);
  });
});
