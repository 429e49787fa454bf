import { describe, expect, it } from 'vitest';
import type { ShmemTruncatePolicy } from './axes.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { collapseGuarded, guardCollapse, markPunchedHoles } from './policy_ctx.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

/** Split on every partial punch and mark what the punch freed, by one of the two primitives. */
function guarded(by: 'holes' | 'range'): ShmemTruncatePolicy {
  return {
    id: `test-${by}`,
    splitOnPartialPunch: () => true,
    mayRecollapse: (k, fileId, index) => !collapseGuarded(k, fileId, index),
    onPunch: (k, file, start, end) => void (by === 'holes' ? markPunchedHoles(k, file, start, end) : guardCollapse(k, file, start, end)),
  };
}

function guestRam(by: 'holes' | 'range'): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' }, policies: { shmemTruncate: guarded(by) } });
  applyEvent(k, { type: 'spawn', pid: 1 });
  applyEvent(k, { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'shmem', file: 'guest-ram' });
  applyEvent(k, { type: 'touch', pid: 1, addr: A, len: 4 * MB, write: true });
  return k;
}
const punch = (k: Kernel, page: number, pages = 1) =>
  applyEvent(k, { type: 'fallocate', file: 'guest-ram', offset: page * PAGE, len: pages * PAGE, mode: 'punch_hole' });
const file = (k: Kernel) => k.files.get('guest-ram')!;

describe('shmem re-collapse guards (shmem_guard.ts)', () => {
  it('a punched-hole mark is set only where the punch left the page cache empty, and a fault of that page clears it', () => {
    const k = guestRam('holes');
    punch(k, 10, 3);
    expect([...file(k).punchedHoles].sort((a, b) => a - b)).toEqual([10, 11, 12]);
    applyEvent(k, { type: 'touch', pid: 1, addr: A + 11 * PAGE, len: PAGE, write: false });
    expect([...file(k).punchedHoles].sort((a, b) => a - b)).toEqual([10, 12]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('khugepaged refuses a range with a marked hole as SCAN_EXCEED_NONE_PTE, and leaves the other range alone', () => {
    const k = guestRam('holes');
    punch(k, 10);
    punch(k, 600);
    applyEvent(k, { type: 'touch', pid: 1, addr: A + 600 * PAGE, len: PAGE, write: true });
    applyEvent(k, { type: 'khugepaged', passes: 2 });
    expect(k.outcomes.get('collapse').reasons['SCAN_EXCEED_NONE_PTE']).toBeGreaterThan(0);
    const huge = (idx: number) => k.frames.order(file(k).cache.get(idx) ?? 0) > 0 && file(k).cache.has(idx);
    expect(huge(0)).toBe(false);
    expect(huge(512)).toBe(true);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('a guarded range is skipped by the file scan (SCAN_FAIL) and lifted only by a write fault that populates it', () => {
    const k = guestRam('range');
    punch(k, 10);
    expect([...file(k).collapseGuard]).toEqual([0]);
    applyEvent(k, { type: 'touch', pid: 1, addr: A + 10 * PAGE, len: PAGE, write: false });
    expect([...file(k).collapseGuard]).toEqual([0]);
    applyEvent(k, { type: 'khugepaged', passes: 2 });
    expect(k.outcomes.get('collapse').reasons['SCAN_FAIL']).toBeGreaterThan(0);
    punch(k, 10);
    applyEvent(k, { type: 'touch', pid: 1, addr: A + 10 * PAGE, len: PAGE, write: true });
    expect(file(k).collapseGuard.size).toBe(0);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('a truncate drops the marks beyond the new end of file', () => {
    const k = guestRam('holes');
    punch(k, 10);
    punch(k, 700);
    applyEvent(k, { type: 'truncate', file: 'guest-ram', size: 2 * MB });
    expect([...file(k).punchedHoles]).toEqual([10]);
    const r = guestRam('range');
    punch(r, 10);
    punch(r, 700);
    applyEvent(r, { type: 'truncate', file: 'guest-ram', size: 2 * MB });
    expect([...file(r).collapseGuard]).toEqual([0]);
  });

  it('the invariant walk reports a mark on a cached page and a guard on a huge range', () => {
    const k = guestRam('holes');
    file(k).punchedHoles.add(700);
    file(k).collapseGuard.add(512);
    expect(checkInvariants(k).map((v) => v.invariant)).toEqual(['shmem_guard', 'shmem_guard']);
  });
});
