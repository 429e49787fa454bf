import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants } from './invariants.js';
import { pteIndex } from './mm.js';
import { PTE_WRITE, ptePfn } from './pte.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const S = 68 * MB;
const PAGE = 4096;

describe('unpin with dirty (a device write through the pin)', () => {
  it('a device write through a pin of a shmem page lands in the file: every process mapping it reads the new data', () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' } });
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: S, len: 2 * MB, kind: 'shmem', file: 'f', offset: 0 },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'pin', pid: 1, addr: S + PAGE, len: 2 * PAGE, handle: 'h', fast: false, write: true },
      { type: 'touch', pid: 2, addr: S + PAGE, len: PAGE, write: false },
      { type: 'unpin', handle: 'h', dirty: true },
    ];
    for (const e of events) {
      applyEvent(k, e);
      expect(checkInvariants(k)).toEqual([]);
    }
    const file = k.files.get('f')!;
    const pt = k.mm(2).pt(S + PAGE)!;
    const pfn = pt.pmd > 0 ? ptePfn(pt.pmd) + 1 : ptePfn(pt.ptes[pteIndex(S + PAGE)]!);
    expect(file.shadow.get(1)).toBe(k.frames.content[pfn]);
  });
});

describe('R/O FOLL_PIN of a possibly shared anon page (gup_must_unshare, 5.19+)', () => {
  const A = 64 * MB;
  /** A page written by pid 1, shared with a child by fork, pinned R/O by the parent, then written by the parent. */
  const events = (fast: boolean): WorkloadEvent[] => [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: PAGE, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
    { type: 'fork', parent: 1, child: 2 },
    { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', fast, write: false, longterm: true },
    { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
  ];
  const pinnedFrame = (k: ReturnType<typeof testKernel>) => k.handles.get('p')!.pfns[0]!;
  const mapped = (k: ReturnType<typeof testKernel>, pid: number) => ptePfn(k.mm(pid).pt(A)!.ptes[pteIndex(A)]!);

  for (const fast of [false, true]) {
    it(`with PG_anon_exclusive (${fast ? 'GUP-fast' : 'slow GUP'}) the pin first unshares the page: the parent gets its own copy, pinned and mapped R/O, and its later write lands in the pinned frame`, () => {
      const k = testKernel({ settings: { 'thp.enabled': 'never' } });
      const ev = events(fast);
      const step = (e: WorkloadEvent) => {
        applyEvent(k, e);
        expect(checkInvariants(k)).toEqual([]);
      };
      ev.slice(0, 4).forEach(step);
      const shared = mapped(k, 1);
      step(ev[4]!);
      expect(pinnedFrame(k)).not.toBe(shared); // unshared by copying: the child still maps the page
      expect(mapped(k, 2)).toBe(shared);
      expect(pinnedFrame(k)).toBe(mapped(k, 1));
      expect(k.mm(1).pt(A)!.ptes[pteIndex(A)]! & PTE_WRITE).toBe(0); // still read-only: unsharing is not a write
      step(ev[5]!);
      expect(pinnedFrame(k)).toBe(mapped(k, 1)); // the write reused the exclusive page
    });
  }

  it('before 5.19 the R/O pin takes the shared page as it is, and the write copies away from it (the pin no longer sees the process)', () => {
    const k = testKernel({ settings: { 'thp.enabled': 'never' }, params: { anonExclusive: false } });
    for (const e of events(false)) applyEvent(k, e);
    expect(checkInvariants(k)).toEqual([]);
    expect(pinnedFrame(k)).not.toBe(mapped(k, 1));
    expect(pinnedFrame(k)).toBe(mapped(k, 2));
  });
});
