/**
 * Workloads of the shmem-truncate axis: seed 001, "mm: shmem: allow split THP
 * when truncating THP partially" (Yang Shi's RFC and Kirill Shutemov's
 * review, Nov 2019; docs/kernel/mm-facts.md §7 E1–E5, S14, S16; ARCHITECTURE.md
 * `shmem-truncate`).
 *
 * The thread's scenarios, one workload each (the quotes are the thread's):
 *   - seed001-balloon-punch: "when doing balloon inflation in QEMU, QEMU
 *     actually does hole punch ... in base page size granularity", so "when
 *     using shmem THP as memory backend QEMU inflation actually doesn't work
 *     as expected since it doesn't free memory". Guest RAM is a huge=always
 *     memfd mapped shared by QEMU (pid 1); the balloon punches `pages` 4 KiB
 *     pages from subpage `first`. pages=2 is Yang's "truncate 8K length in
 *     the middle of THP" (the case whose two lookup references he says keep
 *     the split from succeeding unless they are dropped first);
 *   - seed001-punch-every-subpage: "Even though all the subpages are
 *     truncated (randomly or sequentially), the THP may still be kept in
 *     page cache": all 512 subpages punched one fallocate at a time, in
 *     order or in a seeded random order;
 *   - seed001-punch-straddling-range: "if the range is partial of THP (start
 *     or end is in the middle of THP), the pages actually will just get
 *     cleared rather than being freed": one punch from the middle of one THP
 *     to the middle of the next;
 *   - seed001-punch-whole-thp: "... unless the range cover the whole THP":
 *     one punch of exactly one aligned THP (S16);
 *   - seed001-anon-dontneed-every-subpage: "Anonymous THP will not get freed
 *     right away too but it will be freed eventually when all subpages are
 *     unmapped, but shmem THP would still stay in page cache": the same
 *     base-page balloon on anonymous guest RAM, by MADV_DONTNEED;
 *   - seed001-punch-then-khugepaged: Kirill's "This implementation doesn't do
 *     anything to prevent khugepaged from collapsing the range back to THP
 *     just after the split": a balloon punch, then a khugepaged pass;
 *   - seed001-split-hpage-flag: the RFC's "new fallocate mode:
 *     FALLOC_FL_SPLIT_HPAGE, which means spltting THP is preferred behavior
 *     if truncating partial THP" (design E2, preset yangshi-2019), the punch
 *     asking for the split;
 *   - seed001-truncate-mid-thp: the subject's "truncating THP partially" by
 *     ftruncate(2): i_size moves into the middle of a THP, then memory
 *     pressure (4.8+ queue such an inode for shmem's huge-page shrinker,
 *     which splits what lies beyond i_size).
 *
 * Not encoded: the review's races ("The THP may get freed under us", "check
 * that the page is still belong to the file after speculative lookup"): the
 * model is single-threaded. The pagevec's own extra references (why the
 * RFC's split had to drop them first) are kernel-internal; the model's
 * punch holds exactly one lookup reference, as Kirill asks for and as 5.7+
 * do, so there is no event for the RFC's buggy ordering.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const SOURCE = 'seed 001 (Yang Shi / Kirill Shutemov, Nov 2019); docs/kernel/mm-facts.md §7';
const machine = { memory: 256 * MiB, swap: 64 * MiB };
/** QEMU's guest RAM: a memfd on a huge=always tmpfs (shmem THP as the memory backend). */
const GUEST_RAM = 'guest-ram';
const A = REGION;
const NR = THP / PAGE;
/** The presets the comparison is about: no shmem THP, E1, and E3–E5. */
const ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
const SETTINGS = { 'thp.shmem_enabled': 'always' } as const;

/** QEMU (pid 1) maps `thps` THPs of shmem guest RAM and the guest writes all of it. */
function guestRam(name: string, p: Record<string, unknown>, thps = 1): LogBuilder {
  const b = new LogBuilder(name, 0, p, machine, SETTINGS);
  b.spawn(1)
    .mmapShmem(1, A, thps * THP, GUEST_RAM)
    .write(1, A, thps * THP);
  b.expect({ pid: 1, addr: A, folioOrder: 9, label: 'guest RAM is backed by a shmem THP' });
  b.expect({ pid: 1, addr: A, len: thps * THP, shmemPmdMappedBytes: thps * THP, label: 'guest RAM is PMD-mapped (ShmemPmdMapped)' });
  return b;
}

function punch(b: LogBuilder, offset: number, len: number, mode: 'punch_hole' | 'punch_hole_split' = 'punch_hole'): LogBuilder {
  return b.raw({ type: 'fallocate', file: GUEST_RAM, offset, len, mode });
}

/** The guest reads its RAM again, except the pages it gave to the balloon (which it never touches). */
function guestReadsAllBut(b: LogBuilder, first: number, pages: number): LogBuilder {
  if (first > 0) b.read(1, A, first * PAGE);
  if (first + pages < NR) b.read(1, A + (first + pages) * PAGE, (NR - first - pages) * PAGE);
  return b;
}

export const balloonPunch = defineScenario({
  name: 'seed001-balloon-punch',
  title: 'QEMU balloon inflation punches base pages out of shmem-THP guest RAM',
  source: SOURCE,
  expectation:
    'E3–E5 (linux-5.8+): the punch splits the THP and frees the punched pages; the guest refaults the rest as small pages, no waste. E1 (linux-4.5, i.e. 4.8–5.6): the punched pages are zeroed and kept, nothing is freed (truncated-retained waste = the punched pages) and the THP is PMD-mapped again. linux-3.13: no shmem THP, the punch frees the small pages',
  designs: ERAS,
  params: [
    { name: 'pages', description: 'pages punched by the one fallocate (2 = "truncate 8K length in the middle of THP")', default: 1 },
    { name: 'first', description: 'first punched subpage (1..511, inside the THP)', default: 256 },
  ],
  generate(p) {
    const first = intParam(p, 'first', 256, 1, NR - 1);
    const pages = intParam(p, 'pages', 1, 1, NR - first);
    const b = guestRam('seed001-balloon-punch', p);
    b.comment('balloon inflation: fallocate(PUNCH_HOLE|KEEP_SIZE) of base pages');
    punch(b, first * PAGE, pages * PAGE);
    b.expect({ wasteBytes: 0, label: 'the punched memory is freed (the balloon works)' });
    guestReadsAllBut(b, first, pages);
    b.expect({ pid: 1, contentIntact: true, label: 'the guest reads back what it wrote' });
    b.expect({ pid: 1, addr: A, folioOrder: 0, label: 'the THP was split: the guest maps small pages' });
    b.expect({ pid: 1, addr: A, len: THP, shmemPmdMappedBytes: 0, label: 'no PMD maps guest RAM any more' });
    return b.build();
  },
});

export const punchEverySubpage = defineScenario({
  name: 'seed001-punch-every-subpage',
  title: 'Every subpage of a shmem THP punched one 4 KiB fallocate at a time',
  source: SOURCE,
  expectation:
    'E1 (linux-4.5): the THP stays in the page cache, all 2 MiB zeroed and retained (truncated-retained 2 MiB, 0 freed). E3–E5: the first punch splits it, each punch frees its page, nothing is left. linux-3.13: small pages, each punch frees one',
  designs: ERAS,
  params: [
    { name: 'order', description: 'sequential (subpage 0, 1, ... 511) or random (a seeded shuffle)', default: 'sequential' },
    { name: 'seed', description: 'PRNG seed of the random order', default: 1 },
  ],
  generate(p) {
    const order = enumParam(p, 'order', 'sequential', ['sequential', 'random'] as const);
    const seed = intParam(p, 'seed', 1, 0, 0xffffffff);
    const idx = Array.from({ length: NR }, (_, i) => i);
    if (order === 'random') {
      const rnd = prng(seed);
      for (let i = NR - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
    }
    const b = guestRam('seed001-punch-every-subpage', p);
    for (const i of idx) punch(b, i * PAGE, PAGE);
    b.expect({ wasteBytes: 0, label: 'every punched page is freed: nothing of the file stays in memory' });
    return b.build();
  },
});

export const punchStraddlingRange = defineScenario({
  name: 'seed001-punch-straddling-range',
  title: 'One punch starting in the middle of one shmem THP and ending in the middle of the next',
  source: SOURCE,
  expectation:
    'E1 (linux-4.5): both THPs are partial, so both are zeroed and kept: 0 freed, 2 MiB truncated-retained. E3–E5: both split, the 512 punched pages are freed. linux-3.13: 512 small pages freed',
  designs: ERAS,
  generate(p) {
    const b = guestRam('seed001-punch-straddling-range', p, 2);
    b.comment('[1 MiB, 3 MiB): start in the middle of THP 0, end in the middle of THP 1');
    punch(b, MiB, THP);
    b.expect({ wasteBytes: 0, label: 'the punched 2 MiB are freed' });
    b.read(1, A, MiB).read(1, A + 3 * MiB, MiB);
    b.expect({ pid: 1, contentIntact: true, label: 'the guest reads back the unpunched halves' });
    return b.build();
  },
});

export const punchWholeThp = defineScenario({
  name: 'seed001-punch-whole-thp',
  title: 'One punch covering exactly one aligned shmem THP',
  source: `${SOURCE}, S16`,
  expectation:
    'every era frees the whole THP (512 pages): a huge folio wholly inside the range is truncated whole, no split needed; the other THP stays PMD-mapped',
  designs: ERAS,
  generate(p) {
    const b = guestRam('seed001-punch-whole-thp', p, 2);
    punch(b, 0, THP);
    b.expect({ wasteBytes: 0, label: 'the punched THP is freed' });
    b.read(1, A + THP, THP);
    b.expect({ pid: 1, contentIntact: true, label: 'the other THP reads back' });
    b.expect({ pid: 1, addr: A + THP, len: THP, shmemPmdMappedBytes: THP, label: 'the other THP is still PMD-mapped' });
    return b.build();
  },
});

export const anonDontneedEverySubpage = defineScenario({
  name: 'seed001-anon-dontneed-every-subpage',
  title: 'The base-page balloon on anonymous THP guest RAM: MADV_DONTNEED of one page, then of every other page',
  source: SOURCE,
  expectation:
    'linux-4.5+: the first MADV_DONTNEED only splits the PMD; the THP stays allocated (1 page of unmapped-in-thp waste) until the deferred split, and is freed once all 512 subpages are unmapped. linux-3.13 splits the compound page at once and frees each page as it goes',
  designs: ERAS,
  generate(p) {
    const b = new LogBuilder('seed001-anon-dontneed-every-subpage', 0, p, machine, { 'thp.enabled': 'always' });
    b.spawn(1).mmapAnon(1, A, THP).write(1, A, THP);
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: THP, label: 'guest RAM is an anonymous THP' });
    b.madvise(1, A + 256 * PAGE, PAGE, 'dontneed');
    b.expect({ pid: 1, rssAnonBytes: THP - PAGE, contentIntact: true, label: 'one page is unmapped' });
    b.expect({ wasteBytes: PAGE, label: 'the THP is not freed right away: the unmapped page is still allocated' });
    for (let i = 0; i < NR; i++) if (i !== 256) b.madvise(1, A + i * PAGE, PAGE, 'dontneed');
    b.expect({ pid: 1, rssAnonBytes: 0, label: 'every subpage is unmapped' });
    b.expect({ wasteBytes: 0, label: 'it is freed eventually, when all subpages are unmapped' });
    return b.build();
  },
});

export const punchThenKhugepaged = defineScenario({
  name: 'seed001-punch-then-khugepaged',
  title: "A balloon punch, then khugepaged: Kirill's collapse of the range straight back",
  source: SOURCE,
  expectation:
    'E3–E5: the punch splits and frees one page; khugepaged (max_ptes_none 511) finds 511 pages present and collapses the range back into a THP, allocating one zero-filled page for the hole: the balloon is undone (4 KiB collapse-bloat). E1: nothing was split, so nothing to collapse; the zeroed page stays (4 KiB truncated-retained). linux-3.13: no shmem THP, khugepaged leaves shmem alone',
  designs: ERAS,
  params: [{ name: 'first', description: 'the punched subpage (1..511)', default: 256 }],
  generate(p) {
    const first = intParam(p, 'first', 256, 1, NR - 1);
    const b = guestRam('seed001-punch-then-khugepaged', p);
    punch(b, first * PAGE, PAGE);
    b.expect({ wasteBytes: 0, label: 'the punched page is freed' });
    b.khugepaged(undefined, 1);
    b.expect({ collapsed: 1, label: 'khugepaged collapses the range back to a THP' });
    guestReadsAllBut(b, first, 1);
    b.expect({ pid: 1, contentIntact: true, label: 'the guest reads back what it wrote' });
    b.expect({ pid: 1, addr: A, len: THP, shmemPmdMappedBytes: THP, label: 'guest RAM is PMD-mapped again' });
    b.expect({ wasteBytes: PAGE, label: 'the hole is a zero-filled page again: the balloon is undone' });
    return b.build();
  },
});

export const splitHpageFlag = defineScenario({
  name: 'seed001-split-hpage-flag',
  title: "The RFC's FALLOC_FL_SPLIT_HPAGE: a balloon punch that asks for the split",
  source: SOURCE,
  expectation:
    'E2 (yangshi-2019): with the flag the THP is split and the page freed, without it (mode=punch_hole) the page is zeroed and kept as in E1. The flag was never merged: no released kernel has it',
  designs: ['yangshi-2019'],
  params: [{ name: 'mode', description: 'punch_hole_split (FALLOC_FL_SPLIT_HPAGE) or punch_hole (the flag not given)', default: 'punch_hole_split' }],
  generate(p) {
    const mode = enumParam(p, 'mode', 'punch_hole_split', ['punch_hole_split', 'punch_hole'] as const);
    const b = guestRam('seed001-split-hpage-flag', p);
    punch(b, 256 * PAGE, PAGE, mode);
    b.expect({ wasteBytes: 0, label: 'the punched page is freed' });
    guestReadsAllBut(b, 256, 1);
    b.expect({ pid: 1, contentIntact: true, label: 'the guest reads back what it wrote' });
    b.expect({ pid: 1, addr: A, folioOrder: 0, label: 'the THP was split' });
    return b.build();
  },
});

export const truncateMidThp = defineScenario({
  name: 'seed001-truncate-mid-thp',
  title: 'ftruncate of a shmem file into the middle of its THP, then memory pressure',
  source: `${SOURCE}; §7 E.1 (the shmem huge shrinker)`,
  expectation:
    "E3–E5: the truncate splits the THP and the 256 pages beyond EOF are freed at once. E1 (linux-4.5): they are zeroed and kept (1 MiB truncated-retained) until memory pressure, when shmem's huge-page shrinker splits the THP and frees them. linux-3.13: small pages, freed at once",
  designs: ERAS,
  generate(p) {
    const b = guestRam('seed001-truncate-mid-thp', p);
    b.raw({ type: 'truncate', file: GUEST_RAM, size: MiB });
    b.expect({ wasteBytes: 0, label: 'the pages beyond EOF are freed by the truncate' });
    b.reclaim(256);
    b.expect({ wasteBytes: 0, label: 'after memory pressure, nothing beyond EOF is left' });
    b.read(1, A, MiB);
    b.expect({ pid: 1, contentIntact: true, label: 'the file reads back below EOF' });
    return b.build();
  },
});

/** Every workload of seed 001, in the thread's order. */
export const seed001Scenarios: Scenario[] = [
  balloonPunch,
  punchEverySubpage,
  punchStraddlingRange,
  punchWholeThp,
  anonDontneedEverySubpage,
  punchThenKhugepaged,
  splitHpageFlag,
  truncateMidThp,
];
