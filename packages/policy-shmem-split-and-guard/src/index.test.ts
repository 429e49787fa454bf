import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, applyEvent, checkInvariants, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { type Guard, GUARDS, descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

function guestRam(guard: Guard): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' }, policies: { shmemTruncate: descriptor.create({ guard }) } });
  const events: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'guest-ram' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  ];
  for (const e of events) applyEvent(k, e);
  return k;
}

const punch = (k: Kernel, page: number, pages = 1) =>
  applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: page * PAGE, len: pages * PAGE, mode: 'punch_hole' });
const ev = (k: Kernel, e: WorkloadEvent) => {
  applyEvent(k, e);
  expect(checkInvariants(k)).toEqual([]);
};
const file = (k: Kernel) => k.files.get('guest-ram')!;
const hugeBacked = (k: Kernel) => {
  const head = file(k).cache.get(0);
  return head !== undefined && k.frames.order(head) > 0;
};

describe('split-and-guard', () => {
  it('decodes its defaults, refuses an unknown guard, and creates a policy with its own id', () => {
    expect(descriptor.params.is(descriptor.defaults)).toBe(true);
    expect(descriptor.params.is({ guard: 'none' })).toBe(false);
    for (const guard of GUARDS) expect(descriptor.create({ guard }).id).toBe('split-and-guard');
  });

  for (const guard of GUARDS) {
    describe(`guard=${guard}`, () => {
      it('a 4 KiB punch splits the THP and frees the page, and khugepaged passes do not collapse the range back', () => {
        const k = guestRam(guard);
        const free0 = k.buddy.freeFrames();
        punch(k, 256);
        expect(k.buddy.freeFrames() - free0).toBe(1);
        ev(k, { type: 'khugepaged', passes: 4 });
        expect(k.outcomes.get('collapse').ok).toBe(0);
        expect(k.buddy.freeFrames() - free0).toBe(1);
        expect(hugeBacked(k)).toBe(false);
        expect(k.waste.measure(k).wasteBytes).toBe(0);
      });

      it('a read fault of the other pages does not bring a huge folio back over the hole', () => {
        const k = guestRam(guard);
        punch(k, 256);
        ev(k, { type: 'touch', pid: 1, addr: A, len: 256 * PAGE, write: false });
        ev(k, { type: 'khugepaged', passes: 2 });
        expect(hugeBacked(k)).toBe(false);
      });

      it('a pinned page makes the split fail: the punched page is zeroed and kept, counted, and nothing is marked', () => {
        const k = guestRam(guard);
        ev(k, { type: 'pin', pid: 1, addr: A + 100 * PAGE, len: PAGE, handle: 'vhost' });
        const free0 = k.buddy.freeFrames();
        punch(k, 256);
        expect(checkInvariants(k)).toEqual([]);
        expect(k.buddy.freeFrames()).toBe(free0);
        expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
        expect(file(k).punchedHoles.size + file(k).collapseGuard.size).toBe(0);
      });
    });
  }

  it('max-ptes-none: the guard costs one xa_lock per punch and one per refault of a marked hole', () => {
    const k = guestRam('max-ptes-none');
    const site = (name: string) => k.ledger.totals().lockedOpsBySite[name] ?? 0;
    punch(k, 256, 2);
    expect(file(k).punchedHoles.size).toBe(2);
    expect(site('shmem_punch.xa_set_mark')).toBe(1);
    ev(k, { type: 'touch', pid: 1, addr: A + 256 * PAGE, len: PAGE, write: false });
    expect(site('shmem_add_to_page_cache.xa_clear_mark')).toBe(1);
    expect(file(k).punchedHoles.size).toBe(1);
  });

  it('max-ptes-none: the range is collapsed again once every punched hole was faulted in, read or write', () => {
    const k = guestRam('max-ptes-none');
    punch(k, 256, 2);
    ev(k, { type: 'touch', pid: 1, addr: A + 256 * PAGE, len: PAGE, write: false });
    ev(k, { type: 'khugepaged', passes: 2 });
    expect(hugeBacked(k)).toBe(false);
    ev(k, { type: 'touch', pid: 1, addr: A + 257 * PAGE, len: PAGE, write: false });
    ev(k, { type: 'khugepaged', passes: 2 });
    expect(hugeBacked(k)).toBe(true);
    expect(k.outcomes.get('collapse').ok).toBe(1);
  });

  it('max-ptes-none: MADV_COLLAPSE ignores max_ptes_none and refills the holes anyway', () => {
    const k = guestRam('max-ptes-none');
    punch(k, 256);
    ev(k, { type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'collapse' });
    expect(hugeBacked(k)).toBe(true);
    expect(file(k).punchedHoles.size).toBe(0);
  });

  it('skip-range: the guard costs one inode spinlock per punch, and one write fault into a hole lifts it for the whole range', () => {
    const k = guestRam('skip-range');
    const site = (name: string) => k.ledger.totals().lockedOpsBySite[name] ?? 0;
    punch(k, 256);
    punch(k, 300);
    expect(site('shmem_punch.collapse_guard')).toBe(2);
    ev(k, { type: 'touch', pid: 1, addr: A + 256 * PAGE, len: PAGE, write: false });
    ev(k, { type: 'khugepaged', passes: 2 });
    expect(hugeBacked(k)).toBe(false);
    ev(k, { type: 'touch', pid: 1, addr: A + 300 * PAGE, len: PAGE, write: true });
    expect(site('shmem_fault.collapse_guard')).toBe(1);
    ev(k, { type: 'khugepaged', passes: 2 });
    expect(hugeBacked(k)).toBe(true);
  });

  it('skip-range: a write to a page the guest kept (no fault populating a hole) does not lift the guard', () => {
    const k = guestRam('skip-range');
    punch(k, 256);
    ev(k, { type: 'touch', pid: 1, addr: A, len: 16 * PAGE, write: true });
    ev(k, { type: 'khugepaged', passes: 2 });
    expect(hugeBacked(k)).toBe(false);
    expect(file(k).collapseGuard.has(0)).toBe(true);
  });

  it('skip-range: MADV_COLLAPSE is refused too (SCAN_FAIL)', () => {
    const k = guestRam('skip-range');
    punch(k, 256);
    ev(k, { type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'collapse' });
    expect(hugeBacked(k)).toBe(false);
    expect(k.outcomes.get('collapse').reasons).toEqual({ SCAN_FAIL: 1 });
  });
});
