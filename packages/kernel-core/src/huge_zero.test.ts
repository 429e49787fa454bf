/**
 * The huge zero page (docs/kernel/mm-facts.md §5.9): what a read fault in a
 * THP-eligible anonymous VMA maps, what a later write does in each era, and
 * what zap, mremap and fork make of it.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants } from './invariants.js';
import type { ModelParams, Settings } from './params.js';
import { ptePfn } from './pte.js';
import { anonHugeBytes, folioOrder, mapped } from './queries.js';
import { ZERO_PFN } from './rmap.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const THP = 2 * MB;
const PAGE = 4096;
const A = 64 * MB;

function replay(events: WorkloadEvent[], opts: { params?: Partial<ModelParams>; settings?: Partial<Settings> } = {}) {
  const k = testKernel(opts);
  applyEvent(k, { type: 'spawn', pid: 1 });
  for (const e of [{ type: 'mmap', pid: 1, addr: A, len: 2 * THP, kind: 'anon' } as WorkloadEvent, ...events]) {
    applyEvent(k, e);
    expect(checkInvariants(k), JSON.stringify(e)).toEqual([]);
  }
  return k;
}
const read = (addr: number, len = PAGE): WorkloadEvent => ({ type: 'touch', pid: 1, addr, len, write: false });
const write = (addr: number, len = PAGE): WorkloadEvent => ({ type: 'touch', pid: 1, addr, len, write: true });

describe('the huge zero page', () => {
  it('a read fault with use_zero_page=1 maps the huge zero page over the whole PMD range and allocates nothing', () => {
    const free = testKernel().buddy.freeFrames();
    const k2 = replay([read(A + 5 * PAGE)]);
    const mm = k2.mm(1);
    const pt = mm.pt(A)!;
    expect(pt.hugeZero).toBe(true);
    expect(pt.used).toBe(512);
    expect(Array.from(pt.ptes).every((v) => ptePfn(v) === ZERO_PFN)).toBe(true);
    expect(k2.buddy.freeFrames()).toBe(free);
    expect(mm.rssAnon).toBe(0);
    // Not AnonHugePages (the huge zero folio is not anon), but present over all 2 MiB; kpageflags see an order-9 folio.
    expect(anonHugeBytes(k2, mm, { addr: A, len: THP })).toBe(0);
    expect(mapped(k2, mm, { addr: A, len: THP })).toBe(true);
    expect(folioOrder(k2, mm, A + 100 * PAGE)).toBe(9);
  });

  it('a read fault with use_zero_page=0 allocates and maps a THP (do_huge_pmd_anonymous_page)', () => {
    const k = replay([read(A)], { settings: { 'thp.use_zero_page': 0 } });
    expect(anonHugeBytes(k, k.mm(1), { addr: A, len: THP })).toBe(THP);
    expect(k.mm(1).pt(A)!.hugeZero).toBe(false);
  });

  it('a read fault where no THP is allowed maps one small zero page', () => {
    const k = replay([read(A)], { settings: { 'thp.enabled': 'never' } });
    expect(k.mm(1).pt(A)!.hugeZero).toBe(false);
    expect(k.mm(1).pt(A)!.used).toBe(1);
  });

  it('a write after a huge-zero read allocates a THP where hugeZeroWp is thp (<= 5.7, and 6.12+ do_huge_zero_wp_pmd)', () => {
    const k = replay([read(A), write(A + 7 * PAGE)], { params: { hugeZeroWp: 'thp' } });
    const mm = k.mm(1);
    expect(anonHugeBytes(k, mm, { addr: A, len: THP })).toBe(THP);
    expect(mm.pt(A)!.hugeZero).toBe(false);
    expect(mm.rssAnon).toBe(512);
  });

  it('a write after a huge-zero read splits it into small zero PTEs and faults one small page where hugeZeroWp is split (5.8-6.11)', () => {
    const k = replay([read(A), write(A + 7 * PAGE)], { params: { hugeZeroWp: 'split' } });
    const mm = k.mm(1);
    const pt = mm.pt(A)!;
    expect(anonHugeBytes(k, mm, { addr: A, len: THP })).toBe(0);
    expect(pt.hugeZero).toBe(false);
    expect(mm.rssAnon).toBe(1);
    expect(ptePfn(pt.ptes[7]!)).not.toBe(ZERO_PFN);
    expect(ptePfn(pt.ptes[8]!)).toBe(ZERO_PFN);
  });

  it('MADV_DONTNEED over the whole huge zero PMD leaves pmd_none (zap_huge_pmd), so the next write faults a THP in every era', () => {
    for (const hugeZeroWp of ['thp', 'split'] as const) {
      const k = replay([read(A), { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'dontneed' }, write(A)], { params: { hugeZeroWp } });
      expect(anonHugeBytes(k, k.mm(1), { addr: A, len: THP }), hugeZeroWp).toBe(THP);
    }
  });

  it('MADV_DONTNEED of one page splits the huge zero PMD into small zero PTEs (__split_huge_zero_page_pmd) and zaps that one', () => {
    const k = replay([read(A), { type: 'madvise', pid: 1, addr: A + PAGE, len: PAGE, advice: 'dontneed' }]);
    const pt = k.mm(1).pt(A)!;
    expect(pt.hugeZero).toBe(false);
    expect(pt.used).toBe(511);
    expect(pt.ptes[1]).toBe(0);
  });

  it('fork copies a huge zero PMD (copy_huge_pmd), and the child write follows the era', () => {
    const k = replay([read(A), { type: 'fork', parent: 1, child: 2 }, { type: 'touch', pid: 2, addr: A, len: PAGE, write: true }], {
      params: { hugeZeroWp: 'thp' },
    });
    expect(k.mm(1).pt(A)!.hugeZero).toBe(true);
    expect(anonHugeBytes(k, k.mm(2), { addr: A, len: THP })).toBe(THP);
  });

  it('an aligned mremap moves the huge zero PMD whole; a misaligned one splits it first', () => {
    const aligned = replay([read(A), { type: 'mremap', pid: 1, addr: A, len: THP, newAddr: A + 16 * MB }]);
    expect(aligned.mm(1).pt(A + 16 * MB)!.hugeZero).toBe(true);
    expect(aligned.mm(1).pt(A)).toBeUndefined();
    const misaligned = replay([read(A), { type: 'mremap', pid: 1, addr: A, len: THP, newAddr: A + 16 * MB + PAGE }]);
    expect(misaligned.mm(1).pt(A + 16 * MB)!.hugeZero).toBe(false);
    expect(mapped(misaligned, misaligned.mm(1), { addr: A + 16 * MB + PAGE, len: THP })).toBe(true);
  });

  it('munmap of the range drops the huge zero mapping and its table', () => {
    const k = replay([read(A), { type: 'munmap', pid: 1, addr: A, len: 2 * THP }]);
    expect(k.mm(1).pts.size).toBe(0);
  });

  it('content reads back as zero before and after the write, with the written page holding the write', () => {
    const k = replay([read(A), write(A + 3 * PAGE), { type: 'expect', pid: 1, addr: A, len: THP, contentIntact: true }], { params: { hugeZeroWp: 'thp' } });
    expect(k.expectations.failures).toEqual([]);
  });
});
