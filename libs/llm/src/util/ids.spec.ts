import { newId } from '@app/llm/util/ids';

describe('newId', () => {
  it('should give the prefix and the asked number of alphanumeric characters', () => {
    expect(newId('msg_')).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(newId('call_', 8)).toMatch(/^call_[A-Za-z0-9]{8}$/);
    expect(newId('x', 5000)).toMatch(/^x[A-Za-z0-9]{5000}$/);
  });

  it('should not repeat itself across many pool refills', () => {
    // 24 bytes an id: 10,000 ids draw the 4 KiB pool about 60 times.
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newId('id-'));
    expect(ids.size).toBe(10_000);
  });
});
