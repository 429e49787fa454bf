import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { PG } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { hwpoisonedAddresses, memoryFailurePfn } from './memory_failure.js';
import { pteIndex } from './mm.js';
import { ptePfn } from './pte.js';
import { contentMismatch, folioOrder, mapped } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;

const run = (events: WorkloadEvent[], k: Kernel = testKernel()): Kernel => applyChecked(k, events);

const thp: WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
  { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
];

describe('memory_failure', () => {
  it('on a THP tail splits the THP, poisons and unmaps that one page, and leaves the other 511 intact', () => {
    const k = run(thp);
    const head = ptePfn(k.mm(1).pt(A)!.pmd);
    const bad = A + 7 * PAGE;
    const pfn = head + 7;
    const before = Array.from({ length: 512 }, (_, i) => k.frames.content[head + i]);
    k.drain();
    run([{ type: 'memory_failure', pid: 1, addr: bad }], k);
    expect(folioOrder(k, k.mm(1), A)).toBe(0);
    expect(mapped(k, k.mm(1), { addr: bad, len: PAGE })).toBe(false);
    expect(k.mm(1).pt(A)!.shadow[7]).toBe(0);
    expect(hwpoisonedAddresses(k.mm(1)).has(bad)).toBe(true);
    expect(k.frames.test(pfn, PG.hwpoison)).toBe(true);
    expect(k.buddy.isFreePage(pfn)).toBe(false);
    expect(k.buddy.hwpoisonedFrames).toBe(1);
    for (let i = 0; i < 512; i++) {
      if (i === 7) continue;
      const pt = k.mm(1).pt(A + i * PAGE)!;
      expect(k.frames.content[ptePfn(pt.ptes[pteIndex(A + i * PAGE)]!)]).toBe(before[i]);
    }
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    const obs = k.drain();
    expect(obs.find((o) => o.type === 'thp_split_page')).toMatchObject({ caller: 'memory_failure' });
    expect(obs.find((o) => o.type === 'memory_failure')).toMatchObject({ pid: 1, addr: bad, pfn, result: 'recovered' });
    expect(k.outcomes.get('memory_failure')).toEqual({ ok: 1, failed: 0, reasons: {} });
  });

  it('on a never-written page of a THP under 6.12+ splits: the poisoned page is not remapped to the zero page, is isolated once, and nothing leaks', () => {
    // Found by the property test: the split mapped the zero-filled poisoned page to the zero page and
    // freed it, and memory_failure then took a reference on the free frame and freed it a second time.
    const k = testKernel({ params: { splitRemapsZeropage: true } });
    const free0 = k.buddy.freeFrames();
    run([...thp.slice(0, 2), { type: 'touch', pid: 1, addr: A, len: PAGE, write: true }], k);
    const head = ptePfn(k.mm(1).pt(A)!.pmd);
    const bad = A + 511 * PAGE;
    expect(k.frames.content[head + 511]).toBe(0);
    run([{ type: 'memory_failure', pid: 1, addr: bad }], k);
    expect(k.outcomes.get('memory_failure')).toEqual({ ok: 1, failed: 0, reasons: {} });
    expect(hwpoisonedAddresses(k.mm(1)).has(bad)).toBe(true);
    expect(k.buddy.hwpoisonedFrames).toBe(1);
    // The other never-written pages went to the zero page and back to the allocator; the written one stays.
    expect(mapped(k, k.mm(1), { addr: A + PAGE, len: PAGE })).toBe(true);
    expect(k.frames.refcount[head + 1]).toBe(0);
    run([{ type: 'exit', pid: 1 }], k);
    expect(k.buddy.freeFrames() + k.buddy.hwpoisonedFrames).toBe(free0);
  });

  it('on a pinned THP (head refcount) the split fails and the whole THP stays mapped, poisoned in place', () => {
    const k = run([...thp, { type: 'pin', pid: 1, addr: A + 3 * PAGE, len: PAGE, handle: 'h' }, { type: 'memory_failure', pid: 1, addr: A + 7 * PAGE }]);
    expect(folioOrder(k, k.mm(1), A)).toBe(9);
    expect(k.frames.test(ptePfn(k.mm(1).pt(A)!.pmd) + 7, PG.hwpoison)).toBe(true);
    expect(k.outcomes.get('memory_failure').reasons).toEqual({ unsplit_thp: 1 });
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
    expect(k.drain().find((o) => o.type === 'memory_failure')).toMatchObject({ result: 'ignored', reason: 'unsplit_thp' });
    // Once the THP is freed, the poisoned frame stays out of service and the rest returns to the allocator.
    run(
      [
        { type: 'unpin', handle: 'h' },
        { type: 'munmap', pid: 1, addr: A, len: 2 * MB },
      ],
      k,
    );
    expect(k.buddy.hwpoisonedFrames).toBe(1);
  });

  it('a page shared after fork is unmapped from both processes and both lose its data', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * PAGE, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 2 * PAGE, write: true },
        { type: 'fork', parent: 1, child: 2 },
        { type: 'memory_failure', pid: 2, addr: A },
      ],
      testKernel({ settings: { 'thp.enabled': 'never' } }),
    );
    for (const pid of [1, 2]) {
      expect(mapped(k, k.mm(pid), { addr: A, len: PAGE })).toBe(false);
      expect(mapped(k, k.mm(pid), { addr: A + PAGE, len: PAGE })).toBe(true);
      expect(hwpoisonedAddresses(k.mm(pid)).has(A)).toBe(true);
    }
    expect(k.buddy.hwpoisonedFrames).toBe(1);
  });

  it('a pinned small page is unmapped but stays allocated until the pin goes, then leaves service', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: PAGE, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
        { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'h' },
        { type: 'memory_failure', pid: 1, addr: A },
      ],
      testKernel({ settings: { 'thp.enabled': 'never' } }),
    );
    expect(k.outcomes.get('memory_failure').reasons).toEqual({ pinned: 1 });
    expect(k.buddy.hwpoisonedFrames).toBe(0);
    run([{ type: 'unpin', handle: 'h' }], k);
    expect(k.buddy.hwpoisonedFrames).toBe(1);
  });

  it('a free frame is taken off the buddy lists; a second hit reports already_poisoned', () => {
    const k = testKernel();
    expect(memoryFailurePfn(k, 4096)).toEqual({ result: 'recovered', reason: 'free' });
    expect(k.buddy.hwpoisonedFrames).toBe(1);
    expect(memoryFailurePfn(k, 4096)).toEqual({ result: 'already_poisoned' });
    expect(checkInvariants(k)).toEqual([]);
  });
});
