import { describe, expect, it } from 'vitest';
import { integerTicks } from './axes.js';

describe('integerTicks', () => {
  it('never gives a count axis fractional or repeated ticks', () => {
    expect(integerTicks(1)).toEqual([0, 1]);
    expect(integerTicks(6)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(integerTicks(13)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(integerTicks(100_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000]);
  });
});
