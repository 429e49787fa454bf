import { describe, expect, it } from 'vitest';
import { RangeMarks, RangeSet, bitsIn } from './range-marks.js';

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

describe('the bitmap helpers', () => {
  it('counts the set bits of any [lo, hi) of a 512-bit map, word edges and bit 31 included', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let trial = 0; trial < 200; trial++) {
      const map = new Uint32Array(16);
      for (let i = 0; i < 512; i++) if (rnd() < (trial % 2 ? 0.9 : 0.3)) map[i >>> 5] = map[i >>> 5]! | (1 << (i & 31));
      const lo = Math.floor(rnd() * 513),
        hi = lo + Math.floor(rnd() * (513 - lo));
      let naive = 0;
      for (let i = lo; i < hi; i++) naive += (map[i >>> 5]! >>> (i & 31)) & 1;
      expect(bitsIn(map, lo, hi)).toBe(naive);
    }
    expect(bitsIn(new Uint32Array(16).fill(0xffffffff), 0, 512)).toBe(512);
    expect(bitsIn(new Uint32Array(16).fill(0xffffffff), 31, 33)).toBe(2);
  });

  it('a range set finds each range by number and lists every one once, after deletes too', () => {
    const set = new RangeSet('f');
    for (const r of [4, 9, 2]) set.getOrAdd(r).add(r * 512);
    set.delete(4);
    set.getOrAdd(9); // already there: not added twice
    expect(set.list.map((m) => m.base / 512).sort()).toEqual([2, 9]);
    expect(set.get(4)).toBeUndefined();
    expect(set.get(2)!.has(1024)).toBe(true);
  });
});
