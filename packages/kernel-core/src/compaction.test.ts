import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import type { PinnedMigrationPolicy } from './axes.js';
import { MIGRATE_CMA, MIGRATE_MOVABLE } from './buddy.js';
import { PG } from './frames.js';
import type { Kernel } from './kernel.js';
import { anonHugeBytes, contentMismatch, folioOrder } from './queries.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';
import { applyChecked, pfnAt } from './testing/replay.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;

const run = (events: WorkloadEvent[], k: Kernel): Kernel => applyChecked(k, events);

/** munmap events for every page of [0, n) of the mapping at A except `keep`. */
function unmapAllBut(n: number, keep: number[]): WorkloadEvent[] {
  const out: WorkloadEvent[] = [];
  let from = 0;
  for (const kp of [...keep, n].sort((a, b) => a - b)) {
    if (kp > from) out.push({ type: 'munmap', pid: 1, addr: A + from * PAGE, len: (kp - from) * PAGE });
    from = kp + 1;
  }
  return out;
}

describe('compaction', () => {
  it('moves a movable page out of a fragmented pageblock and a free order-9 block appears', () => {
    // 16 MiB = 8 pageblocks; 4 KiB faults fill frames in ascending order, then one page per pageblock stays.
    const k = testKernel({ config: { memory: 16 * MB }, settings: { 'thp.enabled': 'never' } });
    const n = 4000;
    const keep = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => j * 512 + 100);
    run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 16 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: n * PAGE, write: true },
        ...unmapAllBut(n, keep),
      ],
      k,
    );
    const blocks = new Set(keep.map((p) => pfnAt(k, 1, A + p * PAGE) >> 9));
    expect(blocks.size).toBe(8);
    expect(k.buddy.freeUsableForOrder(9)).toBe(0);
    k.drain();
    run([{ type: 'compact', order: 9 }], k);
    expect(k.buddy.freeUsableForOrder(9)).toBeGreaterThan(0);
    const obs = k.drain();
    const c = obs.find((o) => o.type === 'compact')!;
    expect(c).toMatchObject({ node: 0, order: 9, result: 'COMPACT_SUCCESS', failed: 0 });
    expect(c.migrated).toBeGreaterThanOrEqual(1);
    expect(obs.filter((o) => o.type === 'migrate' && o.reason === 'compaction' && o.result === 'success').length).toBe(c.migrated);
    expect(k.outcomes.get('compact')).toEqual({ ok: 1, failed: 0, reasons: {} });
    // The pages moved into the free scanner's end of the node.
    const moved = keep.map((p) => pfnAt(k, 1, A + p * PAGE)).filter((pfn) => pfn >= 3584);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('skips a pinned page (the pinned heuristic) and reports the compaction as complete without success', () => {
    const k = testKernel({ config: { memory: 16 * MB }, settings: { 'thp.enabled': 'never' } });
    const n = 4000;
    const keep = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => j * 512 + 100);
    run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 16 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: n * PAGE, write: true },
        ...unmapAllBut(n, keep),
        ...keep.map((p, i): WorkloadEvent => ({ type: 'pin', pid: 1, addr: A + p * PAGE, len: PAGE, handle: `h${i}` })),
        { type: 'compact', order: 9 },
      ],
      k,
    );
    expect(k.buddy.freeUsableForOrder(9)).toBe(0);
    expect(k.drain().find((o) => o.type === 'compact')).toMatchObject({ result: 'COMPACT_COMPLETE', migrated: 0 });
    expect(k.outcomes.get('migrate').reasons).toMatchObject({ pinned: expect.any(Number) });
  });

  it('does nothing when a free block of the order already exists', () => {
    const k = run([{ type: 'compact', order: 9 }], testKernel());
    expect(k.drain()).toEqual([expect.objectContaining({ type: 'compact', result: 'COMPACT_SUCCESS', migrated: 0 })]);
  });
});

describe('alloc_contig / CMA', () => {
  const cmaMachine = (params = {}, settings = {}) =>
    testKernel({ config: { memory: 16 * MB, cma: 8 * MB }, settings: { 'thp.enabled': 'never', ...settings }, params });

  it('S12: a GUP-pinned page in the CMA area fails the allocation with pinned, and it succeeds after unpin', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
        { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'h' },
      ],
      cmaMachine(),
    );
    const pfn = pfnAt(k, 1, A);
    expect(k.buddy.pageblockMigratetype(pfn)).toBe(MIGRATE_CMA);
    k.drain();
    run([{ type: 'alloc_contig', pages: 2048, cma: true, handle: 'c' }], k);
    expect(k.drain().find((o) => o.type === 'cma_alloc_fail')).toMatchObject({ cause: 'pinned' });
    expect(k.outcomes.get('cma_alloc').reasons).toEqual({ pinned: 1 });
    expect(k.drivers.has('c')).toBe(false);
    expect(pfnAt(k, 1, A)).toBe(pfn);

    run(
      [
        { type: 'unpin', handle: 'h' },
        { type: 'alloc_contig', pages: 2048, cma: true, handle: 'c' },
      ],
      k,
    );
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    const d = k.drivers.get('c')!;
    expect(d.contig).toBe(true);
    expect(d.pfns[0]).toBe(k.buddy.cmaStart);
    expect(d.pfns.length).toBe(2048);
    expect(k.buddy.pageblockMigratetype(pfnAt(k, 1, A))).not.toBe(MIGRATE_CMA);
    expect(contentMismatch(k, k.mm(1))).toBeNull();

    run([{ type: 'free_contig', handle: 'c' }], k);
    expect(k.buddy.freeFramesOfType(MIGRATE_CMA)).toBe(2048);
  });

  it('cma_release of an allocation that failed is a no-op: free_contig of the handle a failed alloc_contig named is accepted and frees nothing', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
        { type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'h' },
        { type: 'alloc_contig', pages: 2048, cma: true, handle: 'c' },
      ],
      cmaMachine(),
    );
    expect(k.outcomes.get('cma_alloc').failed).toBe(1);
    const free = k.buddy.freeFrames();
    run([{ type: 'free_contig', handle: 'c' }], k);
    expect(k.buddy.freeFrames()).toBe(free);
    // Only once: the handle was released.
    expect(() => applyEvent(k, { type: 'free_contig', handle: 'c' })).toThrow(/handle/);
  });

  it('<= 5.6 fails a CMA allocation over a THP; 5.7+ migrates the THP whole and its content stays intact', () => {
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'alloc_contig', pages: 2048, cma: true },
    ];
    const old = run(events, cmaMachine({ thpMigration: false }, { 'thp.enabled': 'always' }));
    expect(old.buddy.pageblockMigratetype(pfnAt(old, 1, A))).toBe(MIGRATE_CMA);
    expect(old.outcomes.get('cma_alloc').reasons).toEqual({ thp: 1 });
    expect(folioOrder(old, old.mm(1), A)).toBe(9);

    const k = testKernel({ config: { memory: 16 * MB, cma: 8 * MB } });
    run(events.slice(0, 3), k);
    const before = pfnAt(k, 1, A);
    expect(k.buddy.pageblockMigratetype(before)).toBe(MIGRATE_CMA);
    run(events.slice(3), k);
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    expect(folioOrder(k, k.mm(1), A)).toBe(9);
    expect(anonHugeBytes(k, k.mm(1))).toBe(2 * MB);
    expect(k.buddy.pageblockMigratetype(pfnAt(k, 1, A))).toBe(MIGRATE_MOVABLE);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });
});

describe('S13: a compressed-swap page in a movable pageblock', () => {
  // 8 MiB = 4 pageblocks. 1800 faults fill pfn 1..1800, so the zbud page falls back into the
  // last, mostly used MOVABLE pageblock without claiming it; then room is made below.
  const setup: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 8 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 1800 * PAGE, write: true },
    { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'z' },
    { type: 'munmap', pid: 1, addr: A, len: 900 * PAGE },
    { type: 'alloc_contig', pages: 1024, cma: false, handle: 'c' },
  ];
  const machine = (pinnedMigration?: PinnedMigrationPolicy) =>
    testKernel({ config: { memory: 8 * MB }, settings: { 'thp.enabled': 'never' }, policies: pinnedMigration ? { pinnedMigration } : {} });

  it('D0 (pins block): the unmovable driver page blocks alloc_contig of that range', () => {
    const k = machine();
    run(setup.slice(0, 4), k);
    const zbud = k.drivers.get('z')!.pfns[0]!;
    expect(zbud).toBeGreaterThanOrEqual(1024);
    expect(k.buddy.pageblockMigratetype(zbud)).toBe(MIGRATE_MOVABLE);
    expect(k.frames.test(zbud, PG.driver)).toBe(true);
    run(setup.slice(4), k);
    expect(k.outcomes.get('cma_alloc').reasons).toEqual({ unmovable: 1 });
    expect(k.drivers.get('z')!.pfns[0]).toBe(zbud);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('a policy that migrates driver pages lets the allocation succeed, the owner keeps its data', () => {
    let asked = 0;
    const migrates: PinnedMigrationPolicy = { id: 'test-migrates', migrateDriverPage: () => (asked++, 'migrated'), onDriverPin: () => {} };
    const k = machine(migrates);
    run(setup.slice(0, 4), k);
    const zbud = k.drivers.get('z')!.pfns[0]!;
    const data = k.frames.content[zbud];
    run(setup.slice(4), k);
    expect(asked).toBe(1);
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    const moved = k.drivers.get('z')!.pfns[0]!;
    expect(moved < 1024 || moved >= 2048).toBe(true);
    expect(k.frames.content[moved]).toBe(data);
    expect(k.drivers.get('c')!.pfns[0]).toBe(1024);
    run(
      [
        { type: 'driver_free', handle: 'z' },
        { type: 'free_contig', handle: 'c' },
      ],
      k,
    );
    expect(k.drivers.size).toBe(0);
  });

  it('a reclaiming policy (DK) frees the zbud page and re-homes its objects in two new pages outside the range', () => {
    const reclaims: PinnedMigrationPolicy = { id: 'test-reclaims', migrateDriverPage: () => 'reclaimed', onDriverPin: () => {} };
    const k = run(setup, machine(reclaims));
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    const pfns = Array.from(k.drivers.get('z')!.pfns);
    expect(pfns.length).toBe(2);
    for (const p of pfns) expect(p < 1024 || p >= 2048).toBe(true);
  });
});

describe('driver pages', () => {
  it('driver_alloc takes order-0 kernel pages with PG_driver, movable_ops when movable, and driver_free returns them', () => {
    const pins: boolean[] = [];
    const k = testKernel({ policies: { pinnedMigration: { id: 't', migrateDriverPage: () => 'busy', onDriverPin: (_k, _p, on) => void pins.push(on) } } });
    const free0 = k.buddy.freeFrames();
    run([{ type: 'driver_alloc', owner: 'zsmalloc', pages: 3, handle: 'd', movable: true }], k);
    const d = k.drivers.get('d')!;
    expect(d.pfns.length).toBe(3);
    for (const p of d.pfns) {
      expect(k.frames.test(p, PG.driver) && k.frames.test(p, PG.movable_ops)).toBe(true);
      expect(k.frames.refcount[p]).toBe(1);
    }
    expect(new Set(Array.from(d.pfns, (p) => k.frames.content[p])).size).toBe(3);
    run([{ type: 'driver_free', handle: 'd' }], k);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(pins).toEqual([true, true, true, false, false, false]);
    expect(() => applyEvent(k, { type: 'driver_free', handle: 'd' })).toThrow(/handle/);
  });
});
