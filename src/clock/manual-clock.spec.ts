import { ManualClock } from './manual-clock';

describe('ManualClock', () => {
  it('runs the timers and sleeps that come due on the way, each at its own time, in order', async () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    const every = clock.every(1_000, () => seen.push(`every@${clock.now()}`));
    const slept = clock.sleep(1_500).then(() => seen.push('slept'));
    clock.advance(999);
    expect(seen).toEqual([]);
    clock.advance(2_001);
    expect(seen).toEqual(['every@1000', 'every@2000', 'every@3000']);
    await slept; // resolved at 1500; its continuation runs once awaited
    expect(seen).toContain('slept');
    every.cancel();
    clock.advance(10_000);
    expect(seen.filter((s) => s.startsWith('every'))).toHaveLength(3);
    expect(clock.now()).toBe(13_000);
  });
});
