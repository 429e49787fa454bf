/**
 * Empty page tables: what zap, mremap and munmap leave allocated, and why a
 * THP fault cannot use a PMD range whose PTE page exists (docs/kernel/mm-facts.md
 * "Page tables that outlive their entries").
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants } from './invariants.js';
import { pmdNone } from './mm.js';
import { anonHugeBytes } from './queries.js';
import { applyEvent } from './syscalls.js';
import type { ModelParams } from './params.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const THP = 2 * MB;
const PAGE = 4096;
const A = 64 * MB;

function replay(events: WorkloadEvent[], params: Partial<ModelParams> = {}) {
  const k = testKernel({ params });
  applyEvent(k, { type: 'spawn', pid: 1 });
  for (const e of events) {
    applyEvent(k, e);
    expect(checkInvariants(k), JSON.stringify(e)).toEqual([]);
  }
  return k;
}

describe('empty page tables block THP faults', () => {
  it('a write fault into an mremap-emptied page table faults small pages, not a THP (move_page_tables allocates the destination table)', () => {
    // The compound-extreme trap: move an emptied, misaligned range onto a 2 MiB-aligned address.
    const k = replay([
      { type: 'mmap', pid: 1, addr: A, len: 2 * THP, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: THP, write: true },
      { type: 'madvise', pid: 1, addr: A + PAGE, len: THP - PAGE, advice: 'dontneed' },
      { type: 'mremap', pid: 1, addr: A + PAGE, len: 2 * THP - PAGE, newAddr: A + 16 * MB },
    ]);
    const mm = k.mm(1);
    expect(pmdNone(mm.pt(A + 16 * MB))).toBe(false);
    applyEvent(k, { type: 'touch', pid: 1, addr: A + 16 * MB, len: THP, write: true });
    expect(anonHugeBytes(k, mm, { addr: A + 16 * MB, len: THP })).toBe(0);
    expect(mm.pt(A + 16 * MB)!.used).toBe(512);
  });

  it('MADV_DONTNEED of part of a PTE-mapped range keeps the table, so a later write there faults small pages', () => {
    const k = replay([
      { type: 'mmap', pid: 1, addr: A, len: THP, kind: 'anon', write: true },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'nohugepage' },
      { type: 'touch', pid: 1, addr: A, len: 16 * PAGE, write: true },
      { type: 'madvise', pid: 1, addr: A, len: 16 * PAGE, advice: 'dontneed' },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'hugepage' },
      { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
    ]);
    expect(anonHugeBytes(k, k.mm(1), { addr: A, len: THP })).toBe(0);
    expect(k.mm(1).pt(A)!.used).toBe(1);
  });

  it('with ptReclaim (6.14+), MADV_DONTNEED over a whole PMD range frees the emptied table and the next write faults a THP; before, it does not', () => {
    const events: WorkloadEvent[] = [
      { type: 'mmap', pid: 1, addr: A, len: THP, kind: 'anon' },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'nohugepage' },
      { type: 'touch', pid: 1, addr: A, len: 16 * PAGE, write: true },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'hugepage' },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'dontneed' },
      { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
    ];
    const reclaim = replay(events, { ptReclaim: true });
    expect(anonHugeBytes(reclaim, reclaim.mm(1), { addr: A, len: THP })).toBe(THP);
    const keep = replay(events, { ptReclaim: false });
    expect(anonHugeBytes(keep, keep.mm(1), { addr: A, len: THP })).toBe(0);
  });

  it('munmap frees a table only when no VMA is left in its PMD range (free_pgtables floor and ceiling)', () => {
    const k = replay([
      { type: 'mmap', pid: 1, addr: A, len: THP, kind: 'anon' },
      { type: 'madvise', pid: 1, addr: A, len: THP, advice: 'nohugepage' },
      { type: 'touch', pid: 1, addr: A, len: THP, write: true },
      { type: 'munmap', pid: 1, addr: A + PAGE, len: THP - PAGE },
    ]);
    const mm = k.mm(1);
    expect(mm.pt(A)?.used).toBe(1);
    applyEvent(k, { type: 'munmap', pid: 1, addr: A, len: PAGE });
    expect(mm.pt(A)).toBeUndefined();
    expect(mm.pts.size).toBe(0);
  });

  it('a resizing mremap grows the moved VMA into new address space with no page table, where a write faults a THP', () => {
    const k = replay([
      { type: 'mmap', pid: 1, addr: A + 4 * MB - PAGE, len: PAGE, kind: 'anon' },
      { type: 'madvise', pid: 1, addr: A + 4 * MB - PAGE, len: PAGE, advice: 'hugepage' },
      { type: 'touch', pid: 1, addr: A + 4 * MB - PAGE, len: PAGE, write: true },
      { type: 'mremap', pid: 1, addr: A + 4 * MB - PAGE, len: PAGE, newLen: PAGE + THP, newAddr: A + 16 * MB - PAGE },
      { type: 'touch', pid: 1, addr: A + 16 * MB, len: THP, write: true },
    ]);
    const mm = k.mm(1);
    expect(mm.vmas.map((v) => [v.start, v.end])).toEqual([[A + 16 * MB - PAGE, A + 18 * MB]]);
    expect(anonHugeBytes(k, mm, { addr: A + 16 * MB, len: THP })).toBe(THP);
    // The source's table went with its last VMA (move_vma's unmap of the old range).
    expect(mm.pt(A + 2 * MB)).toBeUndefined();
  });

  it('a shrinking mremap unmaps the tail before it moves (mremap_to), so a PTE-mapped THP keeps only what moved', () => {
    const k = replay([
      { type: 'mmap', pid: 1, addr: A, len: THP, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: THP, write: true },
      { type: 'mremap', pid: 1, addr: A, len: THP, newLen: PAGE, newAddr: A + 8 * MB + PAGE },
    ]);
    const mm = k.mm(1);
    expect(mm.vmas.map((v) => [v.start, v.end])).toEqual([[A + 8 * MB + PAGE, A + 8 * MB + 2 * PAGE]]);
    expect(mm.pt(A)).toBeUndefined();
    expect(mm.rssAnon).toBe(1);
  });

  it('a resizing mremap of a range spanning two mappings is refused, naming the field', () => {
    const k = replay([
      { type: 'mmap', pid: 1, addr: A, len: PAGE, kind: 'anon' },
      { type: 'mmap', pid: 1, addr: A + PAGE, len: PAGE, kind: 'anon', write: false },
    ]);
    expect(() => applyEvent(k, { type: 'mremap', pid: 1, addr: A, len: 2 * PAGE, newLen: 3 * PAGE, newAddr: A + 8 * MB })).toThrow(/len/);
  });
});
