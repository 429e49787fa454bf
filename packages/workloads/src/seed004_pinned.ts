/**
 * Workloads of the pinned-migration axis: seed 004, "mm: reclaim zbud pages
 * on migration and compaction" (Krzysztof Kozlowski's RFC v2, Minchan Kim's
 * reply and Benjamin LaHaise's answer, Aug 2013); docs/kernel/mm-facts.md §6 (D.1–D.4),
 * S12, S13.
 *
 * Every scenario the thread names is one workload: zbud pages that can
 * neither live in CMA nor be moved out of a movable pageblock (Kozlowski),
 * the "zcache, zram and GUP pages" Minchan says are in the same situation,
 * his pin-page owner with a migrate handler (`foo_allocate` /
 * `set_pinned_page`), and the aio ring pages whose per-mapping migratepage
 * LaHaise holds up as the alternative, plus the O_DIRECT pins he says any
 * design must face. The logs do not know the design: whether a driver page
 * moves is the pinned-migration policy's answer (pins-block D0, movable-ops
 * DA, and the two RFCs: owner-handlers DM, reclaim-on-migrate DK), and `movable` on driver_alloc only says whether the owner
 * allocates with __GFP_MOVABLE and offers a migration callback.
 *
 * The fragmented layout (driverInEveryPageblock) relies on the model's
 * allocator order, which is deterministic: on the 16 MiB machine a 4095-page
 * anon fill maps buffer page 255 + 512·j to the middle of pageblock j's
 * frames, so unmapping those eight pages leaves exactly one free page in
 * each pageblock, which is where the driver's pages then land (an unmovable
 * allocation falls back to a movable pageblock without claiming it, as
 * zswap's zbud_alloc does under memory pressure). The tests check the
 * resulting placement through its effects (every pageblock blocked).
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam, intParam } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const A = REGION;
/** The THP probe region, away from the fill. */
const PROBE = REGION + 64 * MiB;
const FRAG_MEMORY = 16 * MiB;
const PAGEBLOCKS = FRAG_MEMORY / THP;
/** Every frame but the reserved pfn 0 (the zero page). */
const FILL_PAGES = FRAG_MEMORY / PAGE - 1;
const BLOCK_PAGES = THP / PAGE;

const PROPOSALS = ['minchan-2013', 'kozlowski-2013'];
const ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];

type Op = 'compact' | 'alloc_contig';

interface DriverPages {
  owner: string;
  movable: boolean;
}

/**
 * Memory filled with 4 KiB anon pages, one driver page in each of `blocks`
 * movable pageblocks, half of every pageblock then unmapped. `op`: `rounds`
 * rounds of order-9 compaction each followed by a THP fault (what a THP
 * allocation with defrag does), or one order-9 alloc_contig_range outside
 * CMA (a gigantic page, memory offlining). Both leave the data readable.
 */
function driverInEveryPageblock(name: string, params: Record<string, unknown>, d: DriverPages, blocks: number, op: Op, rounds: number) {
  const b = new LogBuilder(name, 0, params, { memory: FRAG_MEMORY, swap: 64 * MiB }, { 'thp.enabled': 'madvise' });
  b.spawn(1)
    .mmapAnon(1, A, FRAG_MEMORY)
    .write(1, A, FILL_PAGES * PAGE);
  b.expect({ pid: 1, rssAnonBytes: FILL_PAGES * PAGE, label: 'memory is full of 4 KiB anon pages' });
  if (blocks > 0) {
    for (let j = 0; j < blocks; j++) b.munmap(1, A + (BLOCK_PAGES / 2 - 1 + BLOCK_PAGES * j) * PAGE, PAGE);
    b.comment(`${d.owner}: one page in each of ${blocks} pageblocks`);
    b.raw({ type: 'driver_alloc', owner: d.owner, pages: blocks, handle: d.owner, movable: d.movable });
  }
  // Half of every 2 MiB of the buffer goes: room for compaction's copies, none of it a free pageblock.
  for (let j = 0; j < PAGEBLOCKS; j++) b.munmap(1, A + (BLOCK_PAGES * j + BLOCK_PAGES / 2) * PAGE, THP / 2);
  if (op === 'compact') {
    b.mmapAnon(1, PROBE, rounds * THP).madvise(1, PROBE, rounds * THP, 'hugepage');
    for (let i = 0; i < rounds; i++) {
      b.raw({ type: 'compact', order: 9 });
      b.write(1, PROBE + i * THP, THP);
    }
  } else {
    b.raw({ type: 'alloc_contig', pages: BLOCK_PAGES, cma: false, handle: 'gigantic' });
    b.raw({ type: 'free_contig', handle: 'gigantic' });
  }
  b.expect({ pid: 1, contentIntact: true, label: 'migration, where it happened, kept every byte' });
  if (blocks > 0) b.raw({ type: 'driver_free', handle: d.owner });
  return b.build();
}

const fragParams = [
  {
    name: 'op',
    description:
      'what needs the free pageblock: compact (order-9 compaction + THP fault, `rounds` times) or alloc_contig (one order-9 alloc_contig_range outside CMA)',
    default: 'compact',
  },
  { name: 'blocks', description: 'pageblocks holding one driver page (0..8; 0 is the control)', default: PAGEBLOCKS },
  { name: 'rounds', description: 'compaction + THP fault rounds (op=compact)', default: 2 },
];

function fragScenario(s: { name: string; title: string; source: string; expectation: string; designs: string[]; driver: DriverPages }): Scenario {
  return defineScenario({
    name: s.name,
    title: s.title,
    source: s.source,
    expectation: s.expectation,
    designs: s.designs,
    params: fragParams,
    generate(p) {
      const op = enumParam(p, 'op', 'compact', ['compact', 'alloc_contig'] as const);
      const blocks = intParam(p, 'blocks', PAGEBLOCKS, 0, PAGEBLOCKS);
      const rounds = intParam(p, 'rounds', 2, 1, 6);
      return driverInEveryPageblock(s.name, p, s.driver, blocks, op, rounds);
    },
  });
}

export const zbudBlocksCompaction = fragScenario({
  name: 'seed004-zbud-pageblocks',
  title: 'zswap zbud pages, one in each movable pageblock, against order-9 compaction and alloc_contig_range',
  source: 'seed 004 (Kozlowski, Aug 2013: "Currently zbud pages are not movable"); docs/kernel/mm-facts.md §6 D.1, S13',
  expectation:
    "every era (D0, and DA: zbud never got movable ops) skips the zbud pages, so no pageblock can be freed: compaction fails, no THP, alloc_contig -EBUSY; Kozlowski's DK would reclaim them, the control (blocks=0) frees pageblocks",
  designs: [...ERAS, ...PROPOSALS],
  driver: { owner: 'zbud', movable: false },
});

export const zsmallocBlocksCompaction = fragScenario({
  name: 'seed004-zram-zsmalloc-pageblocks',
  title: 'zram/zswap zsmalloc pages (movable, with migration callbacks from 4.8), one in each movable pageblock',
  source: 'seed 004 (Minchan Kim: "The zcache, zram and GUP pages for memory-hotplug and/or CMA are same situation"); docs/kernel/mm-facts.md §6 D.4, S13',
  expectation: 'before 4.8 (D0) zsmalloc pages block like zbud; from 4.8 (DA) zs_page_migrate moves them and compaction / alloc_contig succeed',
  designs: [...ERAS, ...PROPOSALS],
  driver: { owner: 'zsmalloc', movable: true },
});

export const pinPageOwner = fragScenario({
  name: 'seed004-pin-page-owner',
  title: "Minchan's foo driver: long-pinned pages whose owner registers a migration handler (set_pinned_page)",
  source:
    'seed 004 (Minchan Kim: "Each subsystem or GUP caller who want to pin pages long time should create own migration handler"); docs/kernel/mm-facts.md §6 D.3',
  expectation:
    "D0 cannot ask the owner, so the pages block; DM (minchan-2013) calls owner.migrate after a lookup under its global hash lock; DA (4.8+) does it through the page's movable_operations, and compaction succeeds",
  designs: [...ERAS, ...PROPOSALS],
  driver: { owner: 'foo', movable: true },
});

export const aioRingPages = fragScenario({
  name: 'seed004-aio-ring-pages',
  title: "aio ring pages: pinned by the kioctx but migratable through the ring mapping's migratepage method",
  source:
    'seed 004 (LaHaise: "The address space migratepage method doesn\'t have those issues (at least where it is usable as in aio\'s use-case)"); docs/kernel/mm-facts.md §6 D.1',
  expectation:
    'every era from 3.12 moves aio ring pages (aio_migratepage, migrate_page_move_mapping with extra_count 1), so compaction and alloc_contig succeed; the model treats a driver page under pins-block as immovable (known discrepancy for 3.13 and 4.5; the 4.8+ presets use movable-ops)',
  designs: ERAS,
  driver: { owner: 'aio-ring', movable: true },
});

const PLACE_MEMORY = 16 * MiB;
const PLACE_CMA = 12 * MiB;
const ZSWAP_PAGES = 1536;

export const zswapCmaPlacement = defineScenario({
  name: 'seed004-zswap-cma-placement',
  title: 'zswap pool growth on a machine whose free memory is mostly CMA',
  source: 'seed 004 (Kozlowski: "zbud pages are not movable and they cannot be allocated from CMA region"); docs/kernel/mm-facts.md §6 D.1, S13',
  expectation:
    'zbud (unmovable) gets only the 1023 free non-CMA frames of the 1536 pages it asks for, in every era; zsmalloc (movable, 5.4+ zswap) may use CMA; a later CMA allocation of the whole area must move zsmalloc pages out (DA) or fails (D0)',
  designs: [...ERAS, ...PROPOSALS],
  params: [{ name: 'pool', description: 'zpool backend: zbud (no __GFP_MOVABLE) or zsmalloc (__GFP_MOVABLE, movable ops)', default: 'zbud' }],
  generate(p) {
    const pool = enumParam(p, 'pool', 'zbud', ['zbud', 'zsmalloc'] as const);
    const b = new LogBuilder('seed004-zswap-cma-placement', 0, p, { memory: PLACE_MEMORY, cma: PLACE_CMA, swap: 64 * MiB });
    b.comment(`zswap stores ${ZSWAP_PAGES} pages worth of compressed data in ${pool} pages`);
    b.raw({ type: 'driver_alloc', owner: 'zswap', pages: ZSWAP_PAGES, handle: 'zswap', movable: pool === 'zsmalloc' });
    b.comment('a camera / codec driver takes 8 MiB of the CMA area');
    b.raw({ type: 'alloc_contig', pages: (8 * MiB) / PAGE, cma: true, handle: 'cma-buffer' });
    b.raw({ type: 'free_contig', handle: 'cma-buffer' });
    b.raw({ type: 'driver_free', handle: 'zswap' });
    return b.build();
  },
});

const GUP_MEMORY = 16 * MiB;
const GUP_CMA = 8 * MiB;
/** Free frames outside CMA: all of node 0 below the CMA area but the reserved pfn 0. */
const GUP_NON_CMA_FREE = (GUP_MEMORY - GUP_CMA) / PAGE - 1;
const GUP_BUF = 4 * MiB;

export const gupPinnedCma = defineScenario({
  name: 'seed004-gup-pinned-cma',
  title: 'A CMA allocation over user pages that GUP has pinned (O_DIRECT in flight, or a long-term RDMA/vfio pin)',
  source:
    'seed 004 (Minchan Kim: "GUP pages for memory-hotplug and/or CMA"; LaHaise: "taking a real hard look at how O_DIRECT pins pages"); docs/kernel/mm-facts.md S12',
  expectation:
    'pinned pages in the CMA area fail cma_alloc (-EBUSY, pinned) in every era while the pin is held; once it is dropped the pages migrate and the allocation succeeds. A FOLL_LONGTERM pin migrates the pages out of CMA first from 5.1 (linux-5.8+), so the allocation succeeds even with the pin held',
  designs: [...ERAS, ...PROPOSALS],
  params: [{ name: 'pin', description: 'dio: FOLL_GET references of an in-flight O_DIRECT; longterm: pin_user_pages(FOLL_LONGTERM)', default: 'dio' }],
  generate(p) {
    const pin = enumParam(p, 'pin', 'dio', ['dio', 'longterm'] as const);
    const b = new LogBuilder('seed004-gup-pinned-cma', 0, p, { memory: GUP_MEMORY, cma: GUP_CMA, swap: 64 * MiB }, { 'thp.enabled': 'never' });
    // Kernel allocations fill everything outside CMA first, so the buffer lands in CMA in every era
    // (3.13 uses CMA only once the movable lists are empty; 5.6+ also balances movable allocations into it).
    b.comment('unmovable kernel allocations take every free frame outside CMA');
    b.raw({ type: 'driver_alloc', owner: 'slab', pages: GUP_NON_CMA_FREE, handle: 'slab', movable: false });
    b.spawn(1).mmapAnon(1, A, GUP_BUF).write(1, A, GUP_BUF);
    b.raw({ type: 'driver_free', handle: 'slab' });
    if (pin === 'dio') b.get(1, A, GUP_BUF, 'dio');
    else b.pin(1, A, GUP_BUF, 'rdma', { longterm: true });
    b.comment('cma_alloc of the whole CMA area while the pages are pinned');
    b.raw({ type: 'alloc_contig', pages: GUP_CMA / PAGE, cma: true, handle: 'cma-pinned' });
    b.raw({ type: 'free_contig', handle: 'cma-pinned' });
    b.expect({ pid: 1, contentIntact: true, label: 'the pinned buffer reads back' });
    if (pin === 'dio') b.put('dio');
    else b.unpin('rdma');
    b.comment('cma_alloc again once the pin is gone');
    b.raw({ type: 'alloc_contig', pages: GUP_CMA / PAGE, cma: true, handle: 'cma-unpinned' });
    b.raw({ type: 'free_contig', handle: 'cma-unpinned' });
    b.expect({ pid: 1, contentIntact: true, rssAnonBytes: GUP_BUF, label: 'the buffer reads back after migration' });
    return b.build();
  },
});

export const seed004Scenarios: Scenario[] = [zswapCmaPlacement, zbudBlocksCompaction, zsmallocBlocksCompaction, pinPageOwner, aioRingPages, gupPinnedCma];
