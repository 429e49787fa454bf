import { describe, expect, it } from 'vitest';
import { Ledger, site } from './ledger.js';

const S = site('ledger.test.each');

/** What n single primitives count, against one of the "each" primitives doing the same n. */
function both(single: (l: Ledger) => void, each: (l: Ledger) => void): [ReturnType<Ledger['totals']>, ReturnType<Ledger['totals']>] {
  const a = new Ledger(),
    b = new Ledger();
  single(a);
  each(b);
  return [a.totals(), b.totals()];
}

describe('the ledger counts a run of identical operations as the operations one by one', () => {
  it('atomicAddEach: n atomic_add on one word are n locked ops and move it by n × delta', () => {
    const fa = new Int32Array(4).fill(10),
      fb = new Int32Array(4).fill(10);
    const [a, b] = both(
      (l) => {
        for (let i = 0; i < 7; i++) l.atomicAdd(fa, 2, -1, S);
      },
      (l) => l.atomicAddEach(fb, 2, -1, 7, S),
    );
    expect(b).toEqual(a);
    expect(a.lockedOps).toBe(7);
    expect([...fb]).toEqual([...fa]);
  });

  it('atomicDecEach: one atomic_dec on each of n words', () => {
    const fa = new Int32Array(8).fill(1),
      fb = new Int32Array(8).fill(1);
    const [a, b] = both(
      (l) => {
        for (let i = 2; i < 7; i++) l.atomicDec(fa, i, S);
      },
      (l) => l.atomicDecEach(fb, 2, 5, S),
    );
    expect(b).toEqual(a);
    expect([...fb]).toEqual([1, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('bitSpinLockedEach: n lock sections are n locked ops and acquisitions, nested one deep under what is held', () => {
    const w = new Uint32Array(1);
    const [a, b] = both(
      (l) => {
        l.spinLock(S);
        for (let i = 0; i < 5; i++) {
          l.bitSpinLock(w, 0, 0, S);
          l.__bitSpinUnlock(w, 0, 0);
        }
        l.spinUnlock();
      },
      (l) => {
        l.spinLock(S);
        l.bitSpinLockedEach(5, S);
        l.spinUnlock();
      },
    );
    expect(b).toEqual(a);
    expect(a.maxLockDepth).toBe(2);
    expect(a.lockAcquisitions).toBe(6);
  });

  it('bitSpinLockedEach of zero sections counts nothing', () => {
    const [a, b] = both(
      () => {},
      (l) => l.bitSpinLockedEach(0, S),
    );
    expect(b).toEqual(a);
  });

  it('tlbFlush(n) is n flushes', () => {
    const [a, b] = both(
      (l) => {
        for (let i = 0; i < 3; i++) l.tlbFlush();
      },
      (l) => l.tlbFlush(3),
    );
    expect(b).toEqual(a);
    expect(a.tlbShootdowns).toBe(3);
  });
});
