import { describe, expect, it } from 'vitest';
import { RangeMarks } from './range-marks.js';

describe('the marks of one 2 MiB range', () => {
  it('keeps each page of the range once, including the first and the 512th, and lists them in order', () => {
    const m = new RangeMarks(3 * 512);
    for (const s of [3 * 512 + 511, 3 * 512, 3 * 512 + 31, 3 * 512 + 32, 3 * 512 + 31]) m.add(s);
    expect(m.size).toBe(4);
    expect(m.slots()).toEqual([1536, 1567, 1568, 2047]);
    expect(m.has(2047) && m.has(1536) && !m.has(1537)).toBe(true);
  });

  it('unmarks a page only once and empties on clear', () => {
    const m = new RangeMarks(0);
    m.add(5);
    m.add(480);
    expect(m.delete(5)).toBe(true);
    expect(m.delete(5)).toBe(false);
    expect(m.slots()).toEqual([480]);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.slots()).toEqual([]);
  });
});
