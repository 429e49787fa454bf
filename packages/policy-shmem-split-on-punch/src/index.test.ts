import { applyEvent, checkInvariants, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;

function machine() {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' }, policies: { shmemTruncate: descriptor.create({}) } });
  applyEvent(k, { type: 'spawn', pid: 1 });
  applyEvent(k, { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'guest-ram' });
  applyEvent(k, { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true });
  return k;
}

describe('split-on-punch (E3-E5)', () => {
  it('a 4 KiB punch splits the shmem THP and really frees the page (S14)', () => {
    const k = machine();
    const free0 = k.buddy.freeFrames();
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 8192, len: 4096, mode: 'punch_hole' });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });

  it('a GUP pin on the THP fails the split and the punched page is zeroed and kept (S15)', () => {
    const k = machine();
    applyEvent(k, { type: 'pin', pid: 1, addr: A + 100 * 4096, len: 4096, handle: 'vfio' });
    const free0 = k.buddy.freeFrames();
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 8192, len: 4096, mode: 'punch_hole' });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
    expect(k.waste.measure(k).wasteByCause['truncated-retained']).toBe(4096);
  });

  it('khugepaged may collapse the split range straight back, re-populating the hole (seed 001)', () => {
    const k = machine();
    applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: 8192, len: 4096, mode: 'punch_hole' });
    applyEvent(k, { type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'hugepage' });
    applyEvent(k, { type: 'khugepaged', passes: 4 });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.outcomes.get('collapse').ok).toBe(1);
    expect(k.waste.measure(k).wasteByCause['collapse-bloat']).toBe(4096);
  });
});
