/**
 * The kernel's own THP split selftest (its anonymous and shmem parts) as
 * named workloads, so that pagelab's outcomes can be held against what the
 * kernel does.
 *
 * Source: tools/testing/selftests/mm/split_huge_page_test.c (earlier
 * tools/testing/selftests/vm/split_huge_page_test.c, added in v5.13 with the
 * pid/vaddr form of <debugfs>/split_huge_pages; split_pmd_thp_to_order came
 * with 6.10, split_pmd_zero_pages with 6.12, the pagemap/kpageflags rewrite
 * of split_pte_mapped_thp later). The facts were read there; the code below
 * is ours.
 *
 * The selftest splits THPs by writing "pid,vaddr_start,vaddr_end,order" (or
 * "path,pgoff_start,pgoff_end,order") to debugfs. The event vocabulary has no
 * split request (no `split` event in packages/events, no split case in
 * kernel-core's syscalls.ts), so every workload reaches the split through a
 * path the kernel also splits on, and checks what the selftest checks after
 * its debugfs write. Each workload names its path in a `via` parameter where
 * there is more than one. How the selftest's mechanisms map to events (pid 1
 * is the test process; its memalign'd / mmap'd area is BASE = 1 GiB):
 *   - thp settings: the selftest sets none and relies on MADV_HUGEPAGE, so
 *     the header says thp.enabled=madvise and every area is MADV_HUGEPAGE'd;
 *   - `for (i..len) one_page[i] = (char)i` → a write `touch` (one fresh
 *     content token per page); the zero-filled variant writes value 0;
 *   - the byte-compare loops (".. byte corrupted") → `expect contentIntact`;
 *   - check_huge_anon(p, n) (smaps AnonHugePages of the VMA) →
 *     `expect anonHugeBytes` = n × 2 MiB over that VMA;
 *   - is_backed_by_thp / is_backed_by_folio(p, order) (pagemap + kpageflags)
 *     → `expect folioOrder` at p; check_after_split_folio_orders (6.10+,
 *     "every page is order 0 after a split to order 0") → `folioOrder` 0;
 *   - rss_anon() (RssAnon of /proc/self/status) → `expect rssAnonBytes`
 *     without a range (the whole process);
 *   - the tmpfs mount "huge=always" → thp.shmem_enabled=always; write(2) and
 *     read(2) of the file → a write / read through a shared mapping of it.
 *
 * Encoded (scenario names):
 *   - selftest-split-pmd-thp: split_pmd_thp (5.13–6.9) and
 *     split_pmd_thp_to_order(0) (6.10+). via=mprotect: mprotect one page of
 *     each THP read-only and back, which splits each PMD (__split_vma →
 *     vma_adjust_trans_huge) and merges the VMA back: the smaps claim
 *     (AnonHugePages 0, data intact) of the 5.13–6.9 selftest; on 4.5+ this
 *     splits only the PMD, the folio stays order 9, so the 6.10+ folio-order
 *     check is not part of this variant. via=pageout: MADV_PAGEOUT of the
 *     area and a read back: reclaim splits the folios (or, with THP_SWAP,
 *     swaps them out whole) and they come back as order-0 pages, which the
 *     6.10+ folio-order check also holds for. MADV_PAGEOUT exists from 5.4,
 *     so both pageout routes mean something on linux-5.8 and later only
 *     (on 3.13 and 4.5 madvise() is EINVAL, nothing is split or swapped
 *     out, and the checks after it fail);
 *   - selftest-split-pte-mapped-thp: split_pte_mapped_thp. Page i of THP i is
 *     mremap'ed into a 4-page area (the PMD splits, the THP stays, now mapped
 *     from two VMAs); the checks: the four pages still sit in order-9 folios,
 *     then after the split the data is intact and they are order 0.
 *     via=deferred (default, every era of the workload's designs): the
 *     selftest's closing munmap of the THP area comes first, leaving each
 *     THP mapped by its one remapped page, and memory pressure (`reclaim`)
 *     runs the deferred-split shrinker. via=pageout (5.4+): MADV_PAGEOUT of
 *     the 4-page area, which splits each THP through the remapped page
 *     (madvise_cold_or_pageout_pte_range → split_folio) and reclaims just
 *     that page, and a read back. One more check, not the selftest's but the
 *     kernel's: the rest of every THP stays resident in the THP area (the
 *     kernel reclaims only the pages in the advised range);
 *   - selftest-split-pmd-zero-pages: split_pmd_zero_pages (6.12+). Four
 *     zero-filled THPs; MADV_DONTNEED of one page of each (the PMD splits,
 *     the folio waits on the deferred split queue) and `reclaim` (the
 *     shrinker splits it). From 6.12 every anon split remaps zero-filled
 *     subpages to the shared zeropage (remap_page(…, RMP_USE_SHARED_ZEROPAGE),
 *     commit "mm: remap unused subpages to shared zeropage when splitting
 *     isolated thp"), so RssAnon drops: to 0 here, every remaining subpage
 *     being zero. The selftest only asks for "after < before"; the exact
 *     kernel value is encoded;
 *   - selftest-split-file-backed-thp: split_file_backed_thp at order 0, the
 *     file on a huge=always tmpfs. The file is written through a mapping
 *     (which the selftest does with write(2)) and unmapped; the split is a
 *     one-page hole punch at its end (shmem_fallocate → shmem_undo_range →
 *     split_huge_page since Hugh Dickins' 5.7 "huge tmpfs: try to
 *     split_huge_page() when punching hole"), so the content claim narrows
 *     to "the file reads back what was written, the hole as zeroes"; then
 *     the file is mapped again and read (the selftest's read(2)), and its
 *     pages must be small folios, no longer PMD-mapped.
 *
 * Not encoded, and why:
 *   - split_pmd_thp_to_order(order) and split_file_backed_thp(order) for
 *     orders 1..8: the model's folios are order 0 or 9 only (frames/buddy
 *     allocate user folios of those two orders; no split to a lower non-zero
 *     order exists), and no path of the model splits to such an order;
 *   - split_thp_in_pagecache_to_order(_at) (PMD-mapped page cache of a
 *     regular filesystem, xfs by choice, FilePmdMapped): the model has no
 *     page cache but shmem's, and on tmpfs the selftest itself skips (smaps
 *     counts shmem PMDs as ShmemPmdMapped, not FilePmdMapped);
 *   - the file-backed variant through the path,pgoff interface with a range
 *     that splits without touching content: no shmem path of the model splits
 *     a huge folio without changing the file (only punch/truncate split it);
 *   - the debugfs write's own result (-EINVAL for bad input, -EBUSY on a
 *     pinned folio): no event reports a syscall's return value;
 *   - tools/testing/selftests/mm/transhuge-stress.c: its only verdict is
 *     "Completed" after a wall-clock duration; its counts (THPs allocated or
 *     not) are printed, not checked, and depend on the direct reclaim and
 *     compaction a THP fault does under pressure, which the model's fault
 *     path does not do (an order-9 allocation that finds no free block falls
 *     back to 4 KiB). thp_settings.c is the settings push/pop library the
 *     selftests share; nothing to encode.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const SOURCE = 'tools/testing/selftests/mm/split_huge_page_test.c';
const ALL_ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
/** The memalign'd area of split_pmd_thp and the mmap((void *)(1UL << 30)) of split_pte_mapped_thp. */
const BASE = REGION;
/** Every test works on 4 PMD sizes. */
const NR_THPS = 4;
const LEN = NR_THPS * THP;
const machine = { memory: 256 * MiB, swap: 64 * MiB };
const SETTINGS = { 'thp.enabled': 'madvise' } as const;

/** The ways each workload reaches its split (its `via` parameter's values, the first the default). */
export const splitRoutes = new Map<string, readonly string[]>();

function selftest<R extends string>(s: {
  test: string;
  title: string;
  expectation: string;
  designs: string[];
  routes?: { values: readonly [R, ...R[]]; description: string };
  settings?: Record<string, string | number>;
  body(b: LogBuilder, via: R | undefined): void;
}): Scenario {
  const name = `selftest-${s.test.replace(/_/g, '-')}`;
  const routes = s.routes?.values;
  if (routes) splitRoutes.set(name, routes);
  return defineScenario({
    name,
    title: `split_huge_page selftest ${s.test}: ${s.title}`,
    source: SOURCE,
    expectation: s.expectation,
    designs: s.designs,
    params: routes ? [{ name: 'via', description: `${s.routes!.description}; one of ${routes.join(', ')}`, default: routes[0] }] : [],
    generate(p) {
      const via = routes ? enumParam(p, 'via', routes[0], routes) : undefined;
      const b = new LogBuilder(name, 0, p, machine, { ...SETTINGS, ...s.settings });
      b.spawn(1);
      s.body(b, via);
      return b.build();
    },
  });
}

/** A MADV_HUGEPAGE area of NR_THPS PMD sizes at BASE, written page by page, checked PMD-mapped (check_huge_anon(p, 4)). */
function thpArea(b: LogBuilder, value?: number): void {
  b.mmapAnon(1, BASE, LEN).madvise(1, BASE, LEN, 'hugepage');
  if (value === undefined) b.write(1, BASE, LEN);
  else b.raw({ type: 'touch', pid: 1, addr: BASE, len: LEN, write: true, value });
  b.expect({ pid: 1, addr: BASE, len: LEN, anonHugeBytes: LEN, label: 'No THP is allocated' });
}

// ---------------------------------------------------------------- the tests

export type PmdRoute = 'mprotect' | 'pageout';

export const splitPmdThp = selftest<PmdRoute>({
  test: 'split_pmd_thp',
  title: 'four PMD-mapped THPs are split; the data stays and AnonHugePages drops to 0',
  expectation:
    'every era: via=mprotect splits the four PMDs (3.13 splits the compound pages themselves, 4.5+ only the PMDs, the folios stay order 9), AnonHugePages 0, data intact. via=pageout, 5.4+ (MADV_PAGEOUT): reclaim splits (or, THP_SWAP, swaps whole) and swaps the four THPs out; read back, every page is an order-0 folio with its data, AnonHugePages 0. Before 5.4 madvise(MADV_PAGEOUT) is EINVAL: via=pageout splits nothing there',
  designs: ALL_ERAS,
  routes: {
    values: ['mprotect', 'pageout'],
    description: 'how the split is reached: mprotect one page of each THP read-only and back (PMD split), or MADV_PAGEOUT + read back (folio split by reclaim)',
  },
  body(b, via) {
    thpArea(b);
    if (via === 'mprotect') {
      for (let i = 0; i < NR_THPS; i++) b.mprotect(1, BASE + i * THP, PAGE, false);
      b.comment('mprotect back: the VMAs merge again, the PMDs stay split').mprotect(1, BASE, LEN, true);
    } else {
      b.madvise(1, BASE, LEN, 'pageout');
      b.comment('the byte-compare loop reads every page back in').read(1, BASE, LEN);
      for (let i = 0; i < NR_THPS; i++) {
        for (const page of [0, 511])
          b.expect({
            pid: 1,
            addr: BASE + i * THP + page * PAGE,
            folioOrder: 0,
            label: `Unexpected THP split: THP ${i} page ${page} is not an order-0 folio (6.10+ check_after_split_folio_orders)`,
          });
      }
    }
    b.expect({ pid: 1, addr: BASE, len: LEN, contentIntact: true, label: 'byte corrupted' });
    b.expect({ pid: 1, addr: BASE, len: LEN, anonHugeBytes: 0, label: 'Still AnonHugePages not split' });
    b.munmap(1, BASE, LEN);
  },
});

export type PteMappedRoute = 'deferred' | 'pageout';
/** Where the four remapped pages go (page_area; the kernel picks it, any free range will do). */
const PAGE_AREA = BASE + 16 * MiB;

export const splitPteMappedThp = selftest<PteMappedRoute>({
  test: 'split_pte_mapped_thp',
  title: "four THPs PTE-mapped through one mremap'ed page each are split through those pages",
  expectation:
    '4.5+: mremap of page i of THP i splits the PMD but not the THP (is_backed_by_thp holds for the 4 moved pages); the split through the moved pages leaves them order 0 with their data. via=deferred (munmap of the THP area, deferred-split shrinker), via=pageout 5.4+ (madvise_cold_or_pageout_pte_range: split_folio, then only the page in range is reclaimed; the THP area keeps its other 4 × 511 pages resident); on 4.5 madvise(MADV_PAGEOUT) is EINVAL, so via=pageout splits nothing there. 3.13: no PTE-mapped THP exists, the mremap splits the compound page ("Some THPs are missing during mremap")',
  designs: ['linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'],
  routes: {
    values: ['deferred', 'pageout'],
    description:
      'how the split is reached: munmap of the THP area + reclaim (deferred-split shrinker), or MADV_PAGEOUT of the 4 remapped pages + read back (5.4+)',
  },
  body(b, via) {
    thpArea(b);
    for (let i = 0; i < NR_THPS; i++) b.raw({ type: 'mremap', pid: 1, addr: BASE + i * THP + i * PAGE, len: PAGE, newAddr: PAGE_AREA + i * PAGE });
    for (let i = 0; i < NR_THPS; i++)
      b.expect({ pid: 1, addr: PAGE_AREA + i * PAGE, folioOrder: 9, label: `THP ${i} missing after mremap (Some THPs are missing during mremap)` });
    if (via === 'pageout') {
      b.madvise(1, PAGE_AREA, NR_THPS * PAGE, 'pageout');
      b.comment('the byte-compare loop reads the 4 pages back in').read(1, PAGE_AREA, NR_THPS * PAGE);
    } else {
      b.comment("the selftest's closing munmap of the THP area, brought forward: each THP is now mapped by its one moved page").munmap(1, BASE, LEN);
      b.comment('memory pressure: the deferred-split shrinker').reclaim(1);
    }
    b.expect({ pid: 1, addr: PAGE_AREA, len: NR_THPS * PAGE, contentIntact: true, label: 'byte corrupted' });
    for (let i = 0; i < NR_THPS; i++) b.expect({ pid: 1, addr: PAGE_AREA + i * PAGE, folioOrder: 0, label: `THP ${i} not split (Still THPs not split)` });
    if (via === 'pageout') {
      b.expect({
        pid: 1,
        addr: BASE,
        len: LEN,
        rssAnonBytes: LEN - NR_THPS * PAGE,
        label: 'kernel, not a selftest check: MADV_PAGEOUT of the 4 moved pages reclaims those 4 pages only; the THP area keeps the other 4 × 511 resident',
      });
      b.munmap(1, BASE, LEN);
    }
    b.munmap(1, PAGE_AREA, NR_THPS * PAGE);
  },
});

export const splitPmdZeroPages = selftest({
  test: 'split_pmd_zero_pages',
  title: 'splitting zero-filled THPs maps their zero subpages to the shared zeropage; RssAnon drops',
  expectation:
    '6.12+: the split remaps every zero-filled subpage to the shared zeropage (RMP_USE_SHARED_ZEROPAGE), so RssAnon falls from 8 MiB to 0 here (the selftest asks for "after < before"); data still reads zero, AnonHugePages 0. Before 6.12 the split keeps every remaining subpage: RssAnon stays at 8 MiB − 4 pages',
  designs: ['linux-6.15'],
  body(b) {
    thpArea(b, 0);
    b.expect({ pid: 1, rssAnonBytes: LEN, label: 'No RssAnon is allocated before split' });
    b.comment('the last page of each THP goes: the PMD splits, the THP waits on the deferred split queue');
    for (let i = 0; i < NR_THPS; i++) b.madvise(1, BASE + i * THP + 511 * PAGE, PAGE, 'dontneed');
    b.expect({ pid: 1, rssAnonBytes: LEN - NR_THPS * PAGE, label: 'after the partial unmap, before the split' });
    b.comment('memory pressure: the deferred-split shrinker splits the four THPs').reclaim(1);
    b.expect({ pid: 1, addr: BASE, len: LEN, contentIntact: true, label: 'byte corrupted' });
    b.expect({ pid: 1, addr: BASE, len: LEN, anonHugeBytes: 0, label: 'Still AnonHugePages not split' });
    b.expect({ pid: 1, rssAnonBytes: 0, label: 'Incorrect RssAnon value (every subpage was zero-filled, so the split maps them all to the shared zeropage)' });
    b.munmap(1, BASE, LEN);
  },
});

/** The test file on the huge=always tmpfs. */
const FILE = 'thp_split/thp_file';

export const splitFileBackedThp = selftest({
  test: 'split_file_backed_thp',
  title: 'a huge=always tmpfs file THP is split (by a one-page hole punch); the file reads back, its pages are small',
  expectation:
    '5.7+ (Hugh Dickins, "huge tmpfs: try to split_huge_page() when punching hole"): the punch splits the file THP and frees the punched page; the file reads back intact (the hole as zeroes) from order-0 folios, no longer PMD-mapped. 4.8–5.6 (the linux-4.5 preset, zero-keep): the punched page is zeroed and the huge page stays, mapped by a PMD again on the next fault. 3.13: no shmem THP, the file is small pages from the start',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  settings: { 'thp.shmem_enabled': 'always' },
  body(b) {
    b.comment('write(fd, file_buf1, pmd_pagesize): through a shared mapping of the file').mmapShmem(1, BASE, THP, FILE).write(1, BASE, THP);
    b.expect({ pid: 1, addr: BASE, folioOrder: 9, label: 'a file-backed THP is allocated (the selftest takes it for granted on huge=always)' });
    b.munmap(1, BASE, THP);
    b.comment('the split: a one-page hole at the end of the THP').raw({ type: 'fallocate', file: FILE, offset: THP - PAGE, len: PAGE, mode: 'punch_hole' });
    b.comment('read(fd, file_buf2, num_written): through a new mapping').mmapShmem(1, BASE, THP, FILE).read(1, BASE, THP);
    b.expect({ pid: 1, addr: BASE, len: THP, contentIntact: true, label: 'File content changed' });
    b.expect({ pid: 1, addr: BASE, folioOrder: 0, label: 'the file THP is split: page 0 is an order-0 folio' });
    b.expect({ pid: 1, addr: BASE, len: THP, shmemPmdMappedBytes: 0, label: 'no PMD maps the file any more' });
    b.munmap(1, BASE, THP);
  },
});

/** Every anon and shmem test of split_huge_page_test.c the model can express, in the selftest's order. */
export const splitSelftestScenarios: Scenario[] = [splitPmdZeroPages, splitPmdThp, splitPteMappedThp, splitFileBackedThp];
