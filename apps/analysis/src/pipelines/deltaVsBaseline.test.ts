import { describe, expect, it } from 'vitest';
import type { Aligned } from './alignBySeq.js';
import { deltaOf, deltaVsBaseline } from './deltaVsBaseline.js';
import { scheduler } from '../testing/marbles.js';

type P = { seq: number; w: number };

describe('deltaVsBaseline', () => {
  it('gives each design its difference from the first design', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const rows = cold<Aligned<P>>('a-b|', {
        a: {
          seq: 0,
          values: [
            { seq: 0, w: 0 },
            { seq: 0, w: 0 },
          ],
        },
        b: {
          seq: 5,
          values: [
            { seq: 5, w: 200 },
            { seq: 5, w: 50 },
          ],
        },
      });
      expectObservable(rows.pipe(deltaVsBaseline((p: P) => p.w))).toBe('a-b|', {
        a: {
          seq: 0,
          deltas: [
            { value: 0, delta: 0, relative: 0 },
            { value: 0, delta: 0, relative: 0 },
          ],
        },
        b: {
          seq: 5,
          deltas: [
            { value: 200, delta: 0, relative: 0 },
            { value: 50, delta: -150, relative: -0.75 },
          ],
        },
      });
    });
  });

  it('has no deltas until the baseline has a value', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const rows = cold<Aligned<P>>('a|', { a: { seq: 0, values: [undefined, { seq: 0, w: 3 }] } });
      expectObservable(rows.pipe(deltaVsBaseline((p: P) => p.w))).toBe('a|', { a: { seq: 0, deltas: [undefined, undefined] } });
    });
  });

  it('leaves the relative change undefined against a zero baseline', () => {
    expect(deltaOf(5, 0)).toEqual({ value: 5, delta: 5, relative: undefined });
  });
});
