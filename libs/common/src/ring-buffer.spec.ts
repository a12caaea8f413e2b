import { RingBuffer } from '@app/common/ring-buffer';

describe(RingBuffer.name, () => {
  it('should hand items back oldest first, in batches', () => {
    const sut = new RingBuffer<number>(10);
    for (let i = 1; i <= 5; i++) expect(sut.push(i)).toBe(false);
    expect(sut.take(2)).toEqual([1, 2]);
    expect(sut.take(10)).toEqual([3, 4, 5]);
    expect(sut.length).toBe(0);
    expect(sut.take(3)).toEqual([]);
  });

  it('should drop the oldest item when full and report it', () => {
    const sut = new RingBuffer<number>(3);
    const dropped = [1, 2, 3, 4, 5].map((i) => sut.push(i));
    expect(dropped).toEqual([false, false, false, true, true]);
    expect(sut.length).toBe(3);
    expect(sut.take(3)).toEqual([3, 4, 5]);
  });

  it('should keep its order across the ring boundary', () => {
    const sut = new RingBuffer<number>(4);
    let next = 0;
    const seen: number[] = [];
    for (let round = 0; round < 10; round++) {
      sut.push(next++);
      sut.push(next++);
      sut.push(next++);
      seen.push(...sut.take(2));
    }
    seen.push(...sut.take(100));
    // Every push kept, except the oldest ones dropped when the ring filled up.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[seen.length - 1]).toBe(next - 1);
  });

  it('should refuse a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
    expect(() => new RingBuffer(1.5)).toThrow(/positive integer/);
  });

  it('should put a failed batch back at the front and count what no longer fits', () => {
    const sut = new RingBuffer<number>(4);
    sut.push(1);
    sut.push(2);
    sut.push(3);
    const batch = sut.take(2);
    sut.push(4);
    sut.push(5);
    expect(sut.unshiftAll(batch)).toBe(1);
    expect(sut.take(10)).toEqual([2, 3, 4, 5]);
  });
});
