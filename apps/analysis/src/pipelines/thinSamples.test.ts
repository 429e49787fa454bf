import { describe, it } from 'vitest';
import { thinSamples } from './thinSamples.js';
import { scheduler } from '../testing/marbles.js';

const s = (seq: number) => ({ seq });

describe('thinSamples', () => {
  it('keeps the first item, the last of each bucket and the final item', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcdef|', { a: s(0), b: s(3), c: s(9), d: s(10), e: s(25), f: s(27) });
      // buckets of 10: [0] first, {3,9} -> 9 emitted when 10 arrives, {10} emitted when 25 arrives, 27 final
      expectObservable(src.pipe(thinSamples(10))).toBe('a--cd-(f|)', { a: s(0), c: s(9), d: s(10), f: s(27) });
    });
  });

  it('emits a single sample once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a|', { a: s(5) }).pipe(thinSamples(100))).toBe('-a|', { a: s(5) });
    });
  });

  it('passes everything through with a bucket of 1', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const values = { a: s(1), b: s(2), c: s(3) };
      expectObservable(cold('abc|', values).pipe(thinSamples(1))).toBe('abc|', values);
    });
  });

  it('keeps the highest item of each bucket too when asked, so a spike survives', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const v = (seq: number, w: number) => ({ seq, w });
      const src = cold('a-b-c-d-e-f-g-|', { a: v(0, 0), b: v(2, 5), c: v(5, 90), d: v(9, 7), e: v(12, 3), f: v(15, 4), g: v(21, 1) });
      // bucket [0,10): 90 at seq 5 and the last (9); bucket [10,20): its max is also its last (15); 21 final
      expectObservable(src.pipe(thinSamples(10, (x) => x.w))).toBe('a-------(cd)f-(g|)', { a: v(0, 0), c: v(5, 90), d: v(9, 7), f: v(15, 4), g: v(21, 1) });
    });
  });
});
