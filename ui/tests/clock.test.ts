import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock';

describe('ManualClock', () => {
  it('runs timers in time order at their own instant, and repeats until cleared', () => {
    const clock = new ManualClock(1_000);
    const seen: string[] = [];
    clock.after(50, () => seen.push(`a@${clock.now()}`));
    const tick = clock.every(20, () => seen.push(`t@${clock.now()}`));
    const gone = clock.after(10, () => seen.push('never'));
    clock.clear(gone);
    clock.advance(60);
    expect(seen).toEqual(['t@1020', 't@1040', 'a@1050', 't@1060']);
    expect(clock.now()).toBe(1_060);
    clock.clear(tick);
    clock.advance(100);
    expect(seen).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('runs a timer set inside a callback when it falls due in the same advance', () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    clock.after(10, () => clock.after(5, () => seen.push(clock.now())));
    clock.advance(20);
    expect(seen).toEqual([15]);
  });
});
