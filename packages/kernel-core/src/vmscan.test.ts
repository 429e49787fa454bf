import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import type { Kernel } from './kernel.js';
import { anonHugeBytes, contentMismatch, folioOrder, rssAnonBytes, swapBytes } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;

/** A PMD-mapped THP, written whole, then MADV_PAGEOUT of [A + off, A + off + len). */
function pageout(off: number, len: number, params = {}): Kernel {
  const events: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    { type: 'madvise', pid: 1, addr: A + off, len, advice: 'pageout' },
  ];
  return applyChecked(testKernel({ params }), events);
}

describe('madvise(MADV_PAGEOUT) (madvise_cold_or_pageout_pte_range)', () => {
  it('over one page of a PMD-mapped THP splits the THP and swaps out only that page', () => {
    const k = pageout(5 * PAGE, PAGE);
    const mm = k.mm(1);
    expect(swapBytes(k, mm)).toBe(PAGE);
    expect(rssAnonBytes(k, mm)).toBe(2 * MB - PAGE);
    expect(anonHugeBytes(k, mm)).toBe(0);
    expect(folioOrder(k, mm, A)).toBe(0);
    expect(contentMismatch(k, mm)).toBeNull();
    expect(k.outcomes.get('split_page').ok).toBe(1);
  });

  it('over a whole THP swaps out all of it', () => {
    const k = pageout(0, 2 * MB);
    expect(swapBytes(k, k.mm(1))).toBe(2 * MB);
    expect(rssAnonBytes(k, k.mm(1))).toBe(0);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('before 5.4 the advice does not exist: EINVAL, and the THP stays PMD-mapped and resident', () => {
    const k = pageout(0, 2 * MB, { madvPageout: false });
    expect(k.outcomes.get('madvise').reasons['EINVAL']).toBe(1);
    expect(swapBytes(k, k.mm(1))).toBe(0);
    expect(anonHugeBytes(k, k.mm(1))).toBe(2 * MB);
  });
});
