import { describe, it } from 'vitest';
import { alignBySeq } from './alignBySeq.js';
import { scheduler } from '../testing/marbles.js';

const s = (seq: number, v: number) => ({ seq, v });

describe('alignBySeq', () => {
  it('zips designs sampled at the same events into one row per seq', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = cold('a-b|', { a: s(0, 1), b: s(10, 2) });
      const b = cold('-a-b|', { a: s(0, 5), b: s(10, 6) });
      expectObservable(alignBySeq([a, b])).toBe('-a-b|', {
        a: { seq: 0, values: [s(0, 1), s(0, 5)] },
        b: { seq: 10, values: [s(10, 2), s(10, 6)] },
      });
    });
  });

  it('waits for the slower design so rows come out in seq order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const fast = cold('(abc|)', { a: s(0, 1), b: s(10, 2), c: s(20, 3) });
      const slow = cold('---a--b--c|', { a: s(0, 7), b: s(10, 8), c: s(20, 9) });
      expectObservable(alignBySeq([fast, slow])).toBe('---a--b--c|', {
        a: { seq: 0, values: [s(0, 1), s(0, 7)] },
        b: { seq: 10, values: [s(10, 2), s(10, 8)] },
        c: { seq: 20, values: [s(20, 3), s(20, 9)] },
      });
    });
  });

  it('carries a design with a single sample forward, and leaves it undefined before it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const many = cold('a-b-c|', { a: s(0, 1), b: s(10, 2), c: s(20, 3) });
      const single = cold('-a|', { a: s(10, 9) });
      expectObservable(alignBySeq([many, single])).toBe('-ab-c|', {
        a: { seq: 0, values: [s(0, 1), undefined] },
        b: { seq: 10, values: [s(10, 2), s(10, 9)] },
        c: { seq: 20, values: [s(20, 3), s(10, 9)] },
      });
    });
  });

  it('fails when any design fails', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(alignBySeq([cold('a--|', { a: s(0, 1) }), cold<{ seq: number; v: number }>('-#')])).toBe('-#');
    });
  });
});
