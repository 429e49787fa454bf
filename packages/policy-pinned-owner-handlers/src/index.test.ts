import { type Kernel, PG, applyEvent, checkInvariants, moveDriverPage, pinnedMigrationStats, site, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, PINPAGE_LOCK, type Params, createOwnerHandlers, descriptor } from './index.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;

function dm(params: Partial<Params> = {}, config: { memory?: number; nodes?: number; cma?: number } = {}) {
  const policy = createOwnerHandlers({ ...DEFAULTS, ...params });
  const k = testKernel({ config: { memory: 16 * MB, ...config }, settings: { 'thp.enabled': 'never' }, policies: { pinnedMigration: policy } });
  return { k, policy };
}

function delta(k: Kernel, f: () => void) {
  const ops = k.ledger.lockedOps,
    acq = k.ledger.totals().lockAcquisitions,
    lock = k.ledger.atSite(PINPAGE_LOCK);
  f();
  return { ops: k.ledger.lockedOps - ops, acquisitions: k.ledger.totals().lockAcquisitions - acq, globalLock: k.ledger.atSite(PINPAGE_LOCK) - lock };
}

/** hash_ptr(struct page *) computed here with BigInt, apart from kernel-core's limb arithmetic. */
const MULT = { 'v3.13': 0x9e37fffffffc0001n, 'v4.7': 0x61c8864680b583ebn } as const;
function bucket(pfn: number, bits: number, mult: keyof typeof MULT): number {
  const page = 0xffffea0000000000n + BigInt(pfn) * 64n;
  return Number(((page * MULT[mult]) & 0xffffffffffffffffn) >> BigInt(64 - bits));
}
function expectedChains(pfns: Iterable<number>, bits: number, mult: keyof typeof MULT) {
  const counts = new Map<number, number>();
  let n = 0;
  for (const p of pfns) {
    const b = bucket(p, bits, mult);
    counts.set(b, (counts.get(b) ?? 0) + 1);
    n++;
  }
  const lens = [...counts.values()];
  return { max: Math.max(...lens), mean: n / counts.size, collisions: n - counts.size };
}

describe('owner-handlers (DM): the cost of the global pin-page table', () => {
  it('set_pinned_page costs one pinpage_lock acquisition and one SetPagePinned on top of the page allocation', () => {
    const { k } = dm();
    const d = delta(k, () => applyEvent(k, { type: 'driver_alloc', owner: 'foo', pages: 1, handle: 'foo' }));
    // rmqueue's zone lock (1) + spin_lock(pinpage_lock) (1) + set_bit(PG_pinned) (1); spin_unlock is a plain release store.
    expect(d).toEqual({ ops: 3, acquisitions: 2, globalLock: 1 });
    const pfn = k.drivers.get('foo')!.pfns[0]!;
    expect(k.frames.test(pfn, PG.pinned_owner)).toBe(true);
    expect(k.ledger.atSite(site('set_pinned_page.SetPagePinned'))).toBe(1);
  });

  it('a migration of one pinned driver page costs the lookup, the generic move and the repoint: 9 locked ops, 2 of them on the global lock', () => {
    const { k, policy } = dm();
    applyEvent(k, { type: 'driver_alloc', owner: 'foo', pages: 1, handle: 'foo' });
    const pfn = k.drivers.get('foo')!.pfns[0]!;
    const d = delta(k, () => expect(policy.migrateDriverPage(k, pfn)).toBe('migrated'));
    // lookup: spin_lock(pinpage_lock) = 1
    // owner.migrate (moveDriverPage): get_page_unless_zero 1 + trylock_page 1 + rmqueue zone lock 1
    //   + unlock_page 1 + put of the isolation ref 1 + the owner's put 1 + free_one_page zone lock 1 = 7
    // repoint: spin_lock(pinpage_lock) = 1 (PagePinned travelled with the copied flags)
    expect(d).toEqual({ ops: 9, acquisitions: 5, globalLock: 2 });
    // Acquisitions: pinpage_lock twice, the page lock, two zone locks.
    const np = k.drivers.get('foo')!.pfns[0]!;
    expect(np).not.toBe(pfn);
    expect(k.frames.test(np, PG.pinned_owner)).toBe(true);
    expect(policy.table.size).toBe(1);
    expect(checkInvariants(k)).toEqual([]);
    // The same move without the table costs the 7 generic ops only: the 2 are the design's.
    const { k: k2 } = dm();
    applyEvent(k2, { type: 'driver_alloc', owner: 'foo', pages: 1, handle: 'foo' });
    const p2 = k2.drivers.get('foo')!.pfns[0]!;
    expect(delta(k2, () => expect(moveDriverPage(k2, p2, { nid: 0 })).toBeGreaterThan(0)).ops).toBe(7);
  });

  it('clear_pinned_page takes the global lock once and clears PagePinned with the last owner', () => {
    const { k, policy } = dm();
    applyEvent(k, { type: 'driver_alloc', owner: 'foo', pages: 1, handle: 'foo' });
    const d = delta(k, () => applyEvent(k, { type: 'driver_free', handle: 'foo' }));
    // spin_lock 1 + clear_bit(PG_pinned) 1 + the owner's put 1 + free_one_page 1.
    expect(d).toEqual({ ops: 4, acquisitions: 2, globalLock: 1 });
    expect(policy.table.size).toBe(0);
  });

  it('a page that was never registered is not looked up: the lookup costs nothing and the page stays', () => {
    const { k, policy } = dm();
    applyEvent(k, { type: 'driver_alloc', owner: 'foo', pages: 1, handle: 'foo' });
    const pfn = k.drivers.get('foo')!.pfns[0]!;
    k.frames.flags[pfn] = k.frames.flags[pfn]! & ~(1 << PG.pinned_owner);
    expect(delta(k, () => expect(policy.migrateDriverPage(k, pfn)).toBe('busy')).ops).toBe(0);
  });
});

describe("owner-handlers (DM): LaHaise's 'too many collisions in the hash'", () => {
  const cases: [number, number][] = [
    [4, 100],
    [6, 1000],
    [10, 3000],
    [12, 500],
  ];
  for (const mult of ['v3.13', 'v4.7'] as const) {
    for (const [bits, n] of cases) {
      it(`with 2^${bits} buckets and ${n} pinned pages, hashMaxChain, hashMeanChain and hashCollisions are those of hash_ptr (${mult} multiplier) over their struct pages`, () => {
        const { k } = dm({ hashBits: bits, hash: mult });
        applyEvent(k, { type: 'driver_alloc', owner: 'zram', pages: n, handle: 'zram' });
        const pfns = Array.from(k.drivers.get('zram')!.pfns);
        expect(pfns.length).toBe(n);
        const want = expectedChains(pfns, bits, mult);
        const s = pinnedMigrationStats(k);
        expect(s.hashBuckets).toBe(2 ** bits);
        expect(s.hashMaxChain).toBe(want.max);
        expect(s.hashMeanChain).toBeCloseTo(want.mean, 12);
        expect(s.hashCollisions).toBe(want.collisions);
        expect(s.globalLockAcquisitions).toBe(n);
      });
    }
  }

  it("2013's bit-sparse GOLDEN_RATIO_PRIME_64 puts 3000 struct pages 64 bytes apart into 128 of 1024 buckets, v4.7's multiplier into all of them", () => {
    const a = dm({ hashBits: 10, hash: 'v3.13' }).k;
    const b = dm({ hashBits: 10, hash: 'v4.7' }).k;
    for (const k of [a, b]) applyEvent(k, { type: 'driver_alloc', owner: 'zram', pages: 3000, handle: 'zram' });
    const sa = pinnedMigrationStats(a),
      sb = pinnedMigrationStats(b);
    expect(Math.round(3000 / sa.hashMeanChain)).toBe(128);
    expect(Math.round(3000 / sb.hashMeanChain)).toBe(1024);
    expect(sa.hashMaxChain).toBeGreaterThan(4 * sb.hashMaxChain);
  });
});

describe('owner-handlers (DM): no node preference', () => {
  function offlineNode1(nodes: number) {
    // 16 MiB per node: four 1024-frame candidate ranges on each.
    const { k } = dm({}, { memory: nodes * 16 * MB, nodes });
    const node = nodes - 1;
    // The unmovable pages land in the node's top pageblock.
    applyEvent(k, { type: 'driver_alloc', owner: 'foo', pages: 64, handle: 'foo', node });
    // Earlier contiguous allocations take the ranges below it (node 0's first one holds the reserved pfn 0
    // and is never a candidate), so the last one, offlined with offline_pages' isolate-and-migrate, holds them.
    const fillers = 3 - (node === 0 ? 1 : 0);
    for (let i = 0; i < fillers; i++) applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: false, node, handle: `fill${i}` });
    applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: false, node, handle: 'off' });
    expect(k.drivers.has('off')).toBe(true);
    expect(checkInvariants(k)).toEqual([]);
    return k;
  }

  it('on one node no migration crosses nodes', () => {
    const k = offlineNode1(1);
    const s = pinnedMigrationStats(k);
    expect(s.ownerMigrations).toBe(64);
    expect(s.crossNodeMigrations).toBe(0);
  });

  it("on two nodes the owner's alloc_page() moves node 1's pinned pages to node 0: every owner migration crosses", () => {
    const k = offlineNode1(2);
    const s = pinnedMigrationStats(k);
    expect(s.ownerMigrations).toBe(64);
    expect(s.crossNodeMigrations).toBe(64);
    for (const p of k.drivers.get('foo')!.pfns) expect(k.nid(p)).toBe(0);
  });
});

describe("owner-handlers (DM): LaHaise's 'all users of pinned pages', O_DIRECT included", () => {
  function dioRun(coverGup: boolean) {
    const { k } = dm({ coverGup });
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 64 * PAGE, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 64 * PAGE, write: true },
    ] as const)
      applyEvent(k, e);
    return { k, d: delta(k, () => applyEvent(k, { type: 'dio', pid: 1, addr: A, len: 16 * PAGE, write: true })) };
  }

  it('with coverGup one O_DIRECT request costs exactly two more global-lock acquisitions (register, unregister), whatever its size', () => {
    const off = dioRun(false),
      on = dioRun(true);
    expect(off.d.globalLock).toBe(0);
    expect(on.d.globalLock).toBe(2);
    expect(on.d.acquisitions - off.d.acquisitions).toBe(2);
    // Inside those two acquisitions: SetPagePinned and ClearPagePinned on each of the 16 pages.
    expect(on.d.ops - off.d.ops).toBe(2 + 16 + 16);
  });

  function pinnedCma(coverGup: boolean) {
    const { k } = dm({ coverGup }, { memory: 16 * MB, cma: 8 * MB });
    const events = [
      { type: 'driver_alloc', owner: 'slab', pages: 2047, handle: 'slab' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 4 * MB, write: true },
      { type: 'driver_free', handle: 'slab' },
      { type: 'get', pid: 1, addr: A, len: 4 * MB, handle: 'dio' },
      { type: 'alloc_contig', pages: 2048, cma: true, handle: 'cma' },
      { type: 'expect', pid: 1, addr: A, len: 4 * MB, contentIntact: true },
    ] as const;
    for (const e of events) {
      applyEvent(k, e, 1);
      expect(checkInvariants(k)).toEqual([]);
    }
    return k;
  }

  it('as posted (coverGup false) an in-flight O_DIRECT buffer in CMA fails cma_alloc; with coverGup its owner waits, drops and re-takes its references and cma_alloc succeeds', () => {
    const off = pinnedCma(false);
    expect(off.outcomes.get('cma_alloc').reasons).toEqual({ pinned: 1 });
    const on = pinnedCma(true);
    expect(on.outcomes.get('cma_alloc').ok).toBe(1);
    expect(on.expectations.failed).toBe(0);
    // The handle now holds pages outside the CMA area, each still registered and pinned.
    const h = on.handles.get('dio')!;
    for (const p of h.pfns) {
      expect(p < on.buddy.cmaStart || p >= on.buddy.cmaEnd).toBe(true);
      expect(on.frames.test(p, PG.pinned_owner)).toBe(true);
    }
    applyEvent(on, { type: 'put', handle: 'dio' });
    applyEvent(on, { type: 'free_contig', handle: 'cma' });
    expect(checkInvariants(on)).toEqual([]);
  });

  it("Minchan's nested pins: two O_DIRECTs in flight on one buffer each own an entry per page, both are moved and repointed, and the table follows", () => {
    const { k, policy } = dm({ coverGup: true }, { memory: 16 * MB, cma: 8 * MB });
    for (const e of [
      { type: 'driver_alloc', owner: 'slab', pages: 2047, handle: 'slab' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 64 * PAGE, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 64 * PAGE, write: true },
      { type: 'driver_free', handle: 'slab' },
      { type: 'get', pid: 1, addr: A, len: 64 * PAGE, handle: 'a' },
      { type: 'get', pid: 1, addr: A, len: 64 * PAGE, handle: 'b' },
    ] as const)
      applyEvent(k, e, 1);
    const before = Array.from(k.handles.get('a')!.pfns);
    for (const p of before) expect(p).toBeGreaterThanOrEqual(k.buddy.cmaStart);
    expect(policy.table.size).toBe(128);
    applyEvent(k, { type: 'alloc_contig', pages: 2048, cma: true, handle: 'cma' }, 1);
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    const a = Array.from(k.handles.get('a')!.pfns),
      b = Array.from(k.handles.get('b')!.pfns);
    expect(a).toEqual(b);
    for (const p of a) {
      expect(p).toBeLessThan(k.buddy.cmaStart);
      // The mapping, and each owner's FOLL_GET reference.
      expect(k.frames.refcount[p]).toBe(3);
    }
    expect(policy.table.size).toBe(128);
    expect(checkInvariants(k)).toEqual([]);
    for (const h of ['a', 'b']) applyEvent(k, { type: 'put', handle: h }, 1);
    expect(policy.table.size).toBe(0);
    for (const p of a) expect(k.frames.test(p, PG.pinned_owner)).toBe(false);
  });

  it('its parameters decode through its codec and are documented', () => {
    expect(descriptor.params.is(descriptor.defaults)).toBe(true);
    expect(descriptor.params.is({ ...descriptor.defaults, hashBits: 0 })).toBe(false);
    expect(Object.keys(descriptor.paramDocs ?? {}).sort()).toEqual(['coverGup', 'hash', 'hashBits']);
  });
});
