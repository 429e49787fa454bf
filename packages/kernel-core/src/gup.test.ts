import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { checkInvariants } from './invariants.js';
import { pteIndex } from './mm.js';
import { PTE_WRITE, ptePfn } from './pte.js';
import { ERA_PARAMS } from './params.js';
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

describe("5.8's forced CoW break: GUP of a private mapping faults as a write even for reads (gupBreaksCow)", () => {
  const A = 64 * MB;
  const five8 = () => testKernel({ settings: { 'thp.enabled': 'never' }, params: ERA_PARAMS['linux-5.8'] });
  const step = (k: ReturnType<typeof testKernel>, e: WorkloadEvent) => {
    applyEvent(k, e);
    expect(checkInvariants(k)).toEqual([]);
  };
  const pte = (k: ReturnType<typeof testKernel>, pid: number) => k.mm(pid).pt(A)!.ptes[pteIndex(A)]!;
  const forked: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: PAGE, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
    { type: 'fork', parent: 1, child: 2 },
  ];

  for (const fast of [false, true]) {
    it(`a R/O ${fast ? 'GUP-fast' : 'slow GUP'} pin of a CoW-shared page copies it first: the parent pins its own writable copy, and its later write lands in the pinned frame`, () => {
      const k = five8();
      forked.forEach((e) => step(k, e));
      const shared = ptePfn(pte(k, 1));
      step(k, { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', fast, write: false, longterm: true });
      const pinned = k.handles.get('p')!.pfns[0]!;
      expect(pinned).not.toBe(shared);
      expect(ptePfn(pte(k, 2))).toBe(shared);
      expect(ptePfn(pte(k, 1))).toBe(pinned);
      expect(pte(k, 1) & PTE_WRITE).toBe(PTE_WRITE); // a write fault in a writable VMA maps the copy writable
      step(k, { type: 'touch', pid: 1, addr: A, len: PAGE, write: true });
      expect(ptePfn(pte(k, 1))).toBe(pinned);
    });
  }

  it('in a read-only private mapping the break still happens, but the PTE stays read-only (FOLL_COW)', () => {
    const k = five8();
    forked.forEach((e) => step(k, e));
    const shared = ptePfn(pte(k, 1));
    step(k, { type: 'mprotect', pid: 1, addr: A, len: PAGE, write: false });
    step(k, { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', fast: true, write: false, longterm: true });
    const pinned = k.handles.get('p')!.pfns[0]!;
    expect(pinned).not.toBe(shared);
    expect(ptePfn(pte(k, 1))).toBe(pinned);
    expect(pte(k, 1) & PTE_WRITE).toBe(0);
    expect(k.outcomes.get('cow').ok).toBe(1); // one CoW copy, by the pin's write fault
  });

  it('a R/O pin of a never-touched page gets a private zeroed page, never the shared zero page', () => {
    const k = five8();
    step(k, { type: 'spawn', pid: 1 });
    step(k, { type: 'mmap', pid: 1, addr: A, len: PAGE, kind: 'anon' });
    step(k, { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', fast: true, write: false });
    const pinned = k.handles.get('p')!.pfns[0]!;
    expect(pinned).not.toBe(0);
    expect(k.frames.refcount[pinned]).toBeGreaterThan(1);
  });

  it('other eras pin the shared page as it is (the R/O pin does not write-fault)', () => {
    const k = testKernel({ settings: { 'thp.enabled': 'never' }, params: ERA_PARAMS['linux-4.5'] });
    forked.forEach((e) => step(k, e));
    const shared = ptePfn(pte(k, 1));
    step(k, { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', fast: false, write: false });
    expect(k.handles.get('p')!.pfns[0]).toBe(shared);
  });
});

describe('a writing GUP of a read-only mapping fails with EFAULT (check_vma_flags, no FOLL_FORCE)', () => {
  const A = 64 * MB;
  const setup = (k: ReturnType<typeof testKernel>) => {
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * PAGE, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * PAGE, write: true },
      { type: 'mprotect', pid: 1, addr: A + PAGE, len: PAGE, write: false },
    ] as WorkloadEvent[])
      applyEvent(k, e);
  };

  it('a write pin over a writable and a read-only VMA pins nothing, records gup EFAULT, and its unpin releases nothing', () => {
    const k = testKernel({ settings: { 'thp.enabled': 'never' } });
    setup(k);
    const first = ptePfn(k.mm(1).pt(A)!.ptes[pteIndex(A)]!);
    const before = k.frames.refcount[first];
    applyEvent(k, { type: 'pin', pid: 1, addr: A, len: 2 * PAGE, handle: 'p', write: true });
    expect(k.handles.get('p')!.pfns.length).toBe(0);
    expect(k.outcomes.get('gup')).toEqual({ ok: 0, failed: 1, reasons: { EFAULT: 1 } });
    expect(k.drain()).toEqual([expect.objectContaining({ type: 'gup_failed', via: 'pin', reason: 'EFAULT', addr: A })]);
    expect(k.mm(1).pt(A)!.ptes[pteIndex(A + PAGE)]! & PTE_WRITE).toBe(0);
    expect(k.frames.refcount[first]).toBe(before); // the writable page before the read-only one was not grabbed either
    applyEvent(k, { type: 'unpin', handle: 'p', dirty: true });
    expect(k.handles.has('p')).toBe(false);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('a R/O pin of the same range succeeds', () => {
    const k = testKernel({ settings: { 'thp.enabled': 'never' } });
    setup(k);
    applyEvent(k, { type: 'pin', pid: 1, addr: A, len: 2 * PAGE, handle: 'p', write: false });
    expect(k.handles.get('p')!.pfns.length).toBe(2);
    expect(k.outcomes.get('gup')).toEqual({ ok: 1, failed: 0, reasons: {} });
  });

  it('a direct-I/O read from a file into a read-only buffer fails every time; a write from it succeeds', () => {
    const k = testKernel({ settings: { 'thp.enabled': 'never' } });
    setup(k);
    applyEvent(k, { type: 'dio', pid: 1, addr: A + PAGE, len: PAGE, write: false, count: 3 });
    expect(k.outcomes.get('dio')).toEqual({ ok: 0, failed: 3, reasons: { EFAULT: 3 } });
    applyEvent(k, { type: 'dio', pid: 1, addr: A + PAGE, len: PAGE, write: true, count: 2 });
    expect(k.outcomes.get('dio')).toEqual({ ok: 2, failed: 3, reasons: { EFAULT: 3 } });
    expect(checkInvariants(k)).toEqual([]);
  });
});
