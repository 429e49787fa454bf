import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { PG } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { ksmStats } from './ksm.js';
import { migrateFolio } from './migrate.js';
import { pteIndex } from './mm.js';
import { ptePfn, pteWrite } from './pte.js';
import { contentMismatch, folioOrder } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;

const run = (events: WorkloadEvent[], k: Kernel): Kernel => applyChecked(k, events);
function pte(k: Kernel, pid: number, addr: number): number {
  const pt = k.mm(pid).pt(addr)!;
  return pt.ptes[pteIndex(addr)]!;
}

const twoProcesses: WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'spawn', pid: 2 },
  { type: 'mmap', pid: 1, addr: A, len: 2 * PAGE, kind: 'anon' },
  { type: 'mmap', pid: 2, addr: A, len: 2 * PAGE, kind: 'anon' },
  { type: 'madvise', pid: 1, addr: A, len: 2 * PAGE, advice: 'mergeable' },
  { type: 'madvise', pid: 2, addr: A, len: 2 * PAGE, advice: 'mergeable' },
  { type: 'touch', pid: 1, addr: A, len: PAGE, write: true, value: 42 },
  { type: 'touch', pid: 2, addr: A, len: PAGE, write: true, value: 42 },
  { type: 'touch', pid: 1, addr: A + PAGE, len: PAGE, write: true, value: 7 },
  { type: 'touch', pid: 2, addr: A + PAGE, len: PAGE, write: true, value: 8 },
];

describe('ksm_scan', () => {
  it('merges two identical pages into one write-protected KSM page, and a write copies again', () => {
    const k = testKernel();
    run(twoProcesses, k);
    expect(k.lru.size).toBe(4);
    k.drain();
    run([{ type: 'ksm_scan' }], k);
    const kp = ptePfn(pte(k, 1, A));
    expect(ptePfn(pte(k, 2, A))).toBe(kp);
    expect(pteWrite(pte(k, 1, A)) || pteWrite(pte(k, 2, A))).toBe(false);
    expect(k.frames.test(kp, PG.ksm)).toBe(true);
    expect(k.frames.refcount[kp]).toBe(2);
    expect(k.frames.mapcount[kp]).toBe(2);
    expect(k.lru.size).toBe(3);
    expect(ksmStats(k)).toEqual({ pagesShared: 1, pagesSharing: 1 });
    expect(k.outcomes.get('ksm_merge').ok).toBe(1);
    expect(k.drain()).toContainEqual(expect.objectContaining({ type: 'ksm_scan', merged: 1, failed: 0 }));

    const copies = k.ledger.totals().pageCopies;
    run([{ type: 'touch', pid: 2, addr: A, len: PAGE, write: true, value: 99 }], k);
    expect(ptePfn(pte(k, 2, A))).not.toBe(kp);
    expect(ptePfn(pte(k, 1, A))).toBe(kp);
    expect(k.frames.content[kp]).toBe(42);
    expect(k.ledger.totals().pageCopies - copies).toBe(1); // do_wp_page copied: the KSM page has two mappings
    expect(k.lru.size).toBe(4);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    expect(contentMismatch(k, k.mm(2))).toBeNull();
  });

  it('a second scan merges a third identical page into the stable KSM page', () => {
    const k = run([...twoProcesses, { type: 'ksm_scan' }, { type: 'spawn', pid: 3 }, { type: 'mmap', pid: 3, addr: A, len: PAGE, kind: 'anon' }], testKernel());
    run(
      [
        { type: 'madvise', pid: 3, addr: A, len: PAGE, advice: 'mergeable' },
        { type: 'touch', pid: 3, addr: A, len: PAGE, write: true, value: 42 },
        { type: 'ksm_scan' },
      ],
      k,
    );
    const kp = ptePfn(pte(k, 1, A));
    expect(ptePfn(pte(k, 3, A))).toBe(kp);
    expect(ksmStats(k)).toEqual({ pagesShared: 1, pagesSharing: 2 });
  });

  it('a pinned page is not merged (write_protect_page sees the extra reference)', () => {
    const k = run([...twoProcesses, { type: 'pin', pid: 2, addr: A, len: PAGE, handle: 'h' }, { type: 'ksm_scan' }], testKernel());
    expect(ptePfn(pte(k, 1, A))).not.toBe(ptePfn(pte(k, 2, A)));
    expect(k.outcomes.get('ksm_merge').reasons).toEqual({ pinned: 1 });
  });

  it('a THP in a mergeable range is split first so its pages can merge', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true, value: 5 },
        { type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'mergeable' },
        { type: 'ksm_scan' },
      ],
      testKernel(),
    );
    expect(folioOrder(k, k.mm(1), A)).toBe(0);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    expect(ptePfn(pte(k, 1, A + 100 * PAGE))).toBe(ptePfn(pte(k, 1, A)));
    expect(k.lru.size).toBe(1);
    expect(ksmStats(k)).toEqual({ pagesShared: 1, pagesSharing: 511 });
  });

  it('a KSM page migrates with every mapping found through its stable node', () => {
    const k = run([...twoProcesses, { type: 'ksm_scan' }], testKernel());
    const kp = ptePfn(pte(k, 1, A));
    const r = migrateFolio(k, kp, 'compaction');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(ptePfn(pte(k, 1, A))).toBe(r.newHead);
    expect(ptePfn(pte(k, 2, A))).toBe(r.newHead);
    expect(k.frames.test(r.newHead, PG.ksm)).toBe(true);
    expect(ksmStats(k)).toEqual({ pagesShared: 1, pagesSharing: 1 });
    expect(checkInvariants(k)).toEqual([]);
  });
});
