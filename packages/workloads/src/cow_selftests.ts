/**
 * The kernel's own CoW selftest (anonymous-memory part) as named workloads,
 * so that pagelab's outcomes can be held against what the kernel does.
 *
 * Source: tools/testing/selftests/mm/cow.c at 109364fce504 (first merged as
 * tools/testing/selftests/vm/anon_cow.c, renamed cow.c when the non-anon
 * cases came). The facts were read there; the code below is ours.
 *
 * The selftest runs every test case of anon_test_cases[] once per memory
 * "run" (run_with_base_page, run_with_thp, ...); each workload here is one
 * test case, and its `backing` parameter picks the run. pid 1 is the test
 * process, pid 2 its child; the region starts at REGION (1 GiB).
 *
 * How the selftest's mechanisms map to events:
 *   - memset(mem, 1, size) / memset(mem, 0xff, size) → a write `touch` (a
 *     fresh content token per page); the child's memcpy(old, mem, size) in
 *     child_memcmp_fn → a read `touch` by pid 2 (it matters for swapped-out
 *     runs: the child swaps the pages in, shared);
 *   - "the child still reads the old values" (child_memcmp_fn's memcmp, the
 *     "No leak from parent into child" result) → `expect contentIntact` for
 *     pid 2 over (mem, size): the model keeps what every process last wrote;
 *   - io_uring_register_buffers (FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM) →
 *     `pin` with write, longterm, slow path (fast or slow makes no
 *     difference to a write pin of writable, exclusive pages); gup_test's
 *     PIN_LONGTERM_TEST_START (R/O, FOLL_LONGTERM, optionally
 *     PIN_LONGTERM_TEST_FLAG_USE_FAST) → `pin` with write: false, longterm,
 *     fast as the test says;
 *   - "the pin sees what the page table maps" (PIN_LONGTERM_TEST_READ or
 *     io_uring write_fixed, then memcmp(mem, tmp) — "Longterm R/O (R/W) pin
 *     is reliable") → a device write through the pin when it is released
 *     (`unpin` with dirty) followed by `expect contentIntact` for pid 1. The
 *     log format has no "read through a pin" check; this is its exact
 *     stand-in: the process has just written fresh data, so the memcmp
 *     passes iff every pinned frame is still the frame the process maps, and
 *     that is exactly when the device write is seen by the process (the
 *     release moves from just after the check to just before it; nothing
 *     happens in between). For a R/O pin the write is only a probe (no
 *     device writes through it); when the pin was lost, the probe also lands
 *     in the page the child still maps, so the replay's content invariant
 *     names pid 2 as well as pid 1;
 *   - mprotect(PROT_READ) + clear_softdirty() + mprotect(PROT_READ|PROT_WRITE)
 *     → two `mprotect` events (the model never maps pages writable on
 *     mprotect, which is what clear_softdirty() is there to ensure);
 *   - the THP runs' thp_push_settings (PMD size = always) → `sysctl
 *     thp.enabled always`, popped back to the header's `madvise` at the end;
 *   - "Did not get a THP populated" (pagemap of the last subpage after
 *     mem[0] = 1) → `expect mapped` on that subpage; "MADV_PAGEOUT did not
 *     work" (range_is_swapped) → `expect swapBytes`; "MADV_COLLAPSE failed"
 *     → `expect anonHugeBytes`. The selftest skips the test when these fail;
 *     here they are expects labelled "precondition: ...";
 *   - expects labelled "layout: ..." are not in the selftest: they state the
 *     memory layout the run is meant to build (a PTE-mapped THP, one PTE of
 *     a THP, ...), so a replay shows when a kernel cannot build it (3.13
 *     splits the compound page instead of the PMD);
 *   - do_run_with_thp's "mmap twice the THP size, align up" → an anon mmap
 *     of 2 × 2 MiB at REGION, mem = REGION + 2 MiB; MADV_HUGEPAGE on mem
 *     splits the VMA just as in the kernel;
 *   - run_with_partial_mremap_thp's mremap(MREMAP_FIXED) over a PROT_NONE
 *     placeholder mapping → `mremap` to a free, not PMD-aligned address (the
 *     model's mremap wants a free destination; the placeholder only reserves
 *     the address).
 *
 * Not encoded, and why:
 *   - "vmsplice() + unmap in child" (CVE-2020-29374), its mprotect variant,
 *     "vmsplice() before fork(), unmap in parent after fork()" and "vmsplice()
 *     + unmap in parent after fork()": the check reads the page through the
 *     pipe's reference after the referencing process unmapped it; the log
 *     has no "read through a reference" check, and the device-write stand-in
 *     above would write through a reference that only ever reads and credit
 *     the write to a process that no longer maps the page;
 *   - run_with_partial_shared_thp and the "(lower shared)" / "(upper shared)"
 *     THP collapse tests: MADV_DONTFORK / MADV_DOFORK are not in the event
 *     vocabulary;
 *   - run_with_hugetlb: no hugetlb in the model;
 *   - mTHP sizes (detect_thp_sizes beyond the PMD size): the model's only
 *     large folio is the 2 MiB THP;
 *   - the non-anon test cases (zero page, memfd, tmpfile): not anonymous
 *     memory, out of scope here.
 *
 * Where the kernel passes (each workload's `designs`), with the history:
 *   - Basic COW (with or without the mprotect round trip): every era.
 *   - "fork() with an iouring fixed buffer" (a longterm R/W pin, then fork):
 *     5.9+ only. Before, fork shares the pinned page write-protected and the
 *     parent's next write copies it away from the pin. Fixed by 70e806e4e645
 *     ("mm: Do early cow for pinned pages during fork() for ptes") and
 *     d042035eaf5f ("mm/thp: Split huge pmds/puds if they're pinned when
 *     fork()"), v5.9.
 *   - "R/O-mapping a page registered as iouring fixed buffer" and the R/O pin
 *     on an exclusive or previously-shared page: pass while CoW reuse is
 *     decided by the mapcount (<= 5.8: reuse_swap_page) and again from 5.19
 *     (PG_anon_exclusive, and FAULT_FLAG_UNSHARE for R/O pins: a7f226604170
 *     "mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared
 *     anonymous page"); 5.9–5.18 (09854ba94c6a "mm: do_wp_page()
 *     simplification", page_count based) fail them — no preset models that
 *     window.
 *   - "R/O GUP(-fast) pin on R/O-mapped shared page": fails whenever a R/O
 *     GUP of a CoW-shared page leaves it shared (3.13, 4.5: the parent's
 *     write copies away from the pin; the swapped-out runs do not exist
 *     there, see below, but a page swapped out by reclaim before the fork
 *     fares no better: reuse_swap_page() counts the child's swap entry of
 *     the swap-cache page the parent faulted in and pinned). Passes in 5.8,
 *     whose GUP broke CoW even for reads (17839856fd58 "gup: document and
 *     work around 'COW can break either way' issue", v5.8, removed again in
 *     v5.9 by a308c71bf1e6 "mm/gup: Remove enfornced COW mechanism";
 *     GUP-fast then only took writable entries), and from 5.19
 *     (FAULT_FLAG_UNSHARE, above).
 *   - The anon THP collapse tests: need MADV_COLLAPSE (6.1+); earlier the
 *     selftest skips ("MADV_COLLAPSE failed"). "(fully shared)" skips in
 *     6.10 and 6.15 too: after fork no PTE of the parent is writable, and
 *     hpage_collapse_scan_pmd refuses such a range for MADV_COLLAPSE as well
 *     (SCAN_PAGE_RO → EINVAL).
 *   - linux-4.5 stands for 4.5–5.7. The 4.5.0 release itself lost pins on
 *     THPs: its new refcounting made do_huge_pmd_wp_page require
 *     page_count() == 1 and reuse_swap_page() refuse any PTE-mapped THP
 *     subpage, so a write fault on a pinned, R/O-mapped THP copied away from
 *     the pin (vfio report "[BUG] vfio device assignment regression with THP
 *     ref counting redesign", Apr 2016; fixed by Andrea Arcangeli's "mm: thp:
 *     calculate the mapcount correctly for THP pages during WP faults" for
 *     4.6, with a 4.5 stable backport). The model's linux-4.5 decides reuse
 *     by mapcount, as 4.6–5.7 do, and has no MADV_PAGEOUT, as 4.5–5.3.
 *   - The swapped-out runs (the "-swap" backings) exist from 5.4 only:
 *     MADV_PAGEOUT came with 1a4e58cce84e ("mm: introduce MADV_PAGEOUT",
 *     v5.4). Before, madvise() is EINVAL, nothing is swapped out, and the
 *     selftest skips the test ("MADV_PAGEOUT did not work, is swap
 *     enabled?"): 3.13 and 4.5 are not among those runs' designs
 *     (cowSelftestRunDesigns), whatever the workload's `designs` say.
 * The selftest itself needs gup_test's PIN_LONGTERM_TEST_* and io_uring and
 * skips without them; for the older eras the workloads stand for the same
 * sequence done by any longterm GUP user (RDMA, vfio).
 *
 * Where the model does not do what the kernel does (no swap cache in the
 * pre-5.19 reuse check): the last tests of cow_selftests.test.ts, with a
 * minimal log.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const SOURCE = 'tools/testing/selftests/mm/cow.c (109364fce504)';
const ALL = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
const machine = { memory: 64 * MiB, swap: 16 * MiB };
const SETTINGS = { 'thp.enabled': 'madvise' } as const;

/** cow.c's memory runs (run_with_*) that the model can build. */
export const BACKINGS = [
  'base-page',
  'base-page-swap',
  'thp',
  'thp-swap',
  'pte-mapped-thp',
  'pte-mapped-thp-swap',
  'single-pte-thp',
  'single-pte-thp-swap',
  'partial-mremap-thp',
] as const;
export type Backing = (typeof BACKINGS)[number];

/** The selftest's message for each run ("[RUN] <test> ... with ..."). */
export const BACKING_TITLES: Record<Backing, string> = {
  'base-page': 'with base page',
  'base-page-swap': 'with swapped out base page',
  thp: 'with THP (2048 kB)',
  'thp-swap': 'with swapped-out THP (2048 kB)',
  'pte-mapped-thp': 'with PTE-mapped THP (2048 kB)',
  'pte-mapped-thp-swap': 'with swapped-out, PTE-mapped THP (2048 kB)',
  'single-pte-thp': 'with single PTE of THP (2048 kB)',
  'single-pte-thp-swap': 'with single PTE of swapped-out THP (2048 kB)',
  'partial-mremap-thp': "with partially mremap()'ed THP (2048 kB)",
};

const backingParam = {
  name: 'backing',
  description: `cow.c's memory run: ${BACKINGS.join(', ')} (the -swap runs swap out with MADV_PAGEOUT, 5.4+; the selftest skips them before)`,
  default: 'base-page',
};

/** The runs that swap the test's memory out with MADV_PAGEOUT before the test function runs. */
export const SWAPOUT_BACKINGS: readonly Backing[] = BACKINGS.filter((b) => b.endsWith('-swap'));
/** The preset eras with MADV_PAGEOUT (5.4+); before, madvise(MADV_PAGEOUT) is EINVAL and the selftest skips the swapped-out runs. */
export const PAGEOUT_ERAS: readonly string[] = ['linux-5.8', 'linux-6.10', 'linux-6.15'];

/** The preset eras in which a run is a run of the kernel's test at all: every one, but for a swapped-out run only those with MADV_PAGEOUT. */
export function cowSelftestRunEras(backing: Backing | undefined): readonly string[] {
  return backing !== undefined && SWAPOUT_BACKINGS.includes(backing) ? PAGEOUT_ERAS : ALL;
}

/** The eras where the kernel passes one run of a workload: the workload's `designs` the run exists in. */
export function cowSelftestRunDesigns(s: Pick<Scenario, 'designs'>, backing: Backing | undefined): string[] {
  const eras = cowSelftestRunEras(backing);
  return s.designs.filter((d) => eras.includes(d));
}

/** The test process, its child. */
const P = 1;
const C = 2;
/** do_run_with_thp: mmap_mem (2 × THP, here PMD-aligned) and the THP-aligned mem inside it. */
const MMAP_MEM = REGION;
const THP_MEM = REGION + THP;
/** run_with_partial_mremap_thp: where the upper half goes (page aligned, not PMD aligned). */
const MREMAP_MEM = REGION + 4 * THP + 64 * PAGE;

/** The selftest's helpers over a LogBuilder. */
class CowSelftest {
  readonly b: LogBuilder;
  /** The memory the test function gets: (mem, size). */
  mem = 0;
  size = 0;
  private teardown: (() => void) | undefined;

  constructor(name: string, p: Record<string, unknown>) {
    this.b = new LogBuilder(name, 0, p, machine, { ...SETTINGS });
    this.b.spawn(P);
  }

  /** do_run_with_base_page(fn, swapout). */
  basePage(swapout: boolean): this {
    const b = this.b;
    this.mem = REGION;
    this.size = PAGE;
    b.mmapAnon(P, this.mem, PAGE);
    b.madvise(P, this.mem, PAGE, 'nohugepage');
    b.comment('Populate a base page').write(P, this.mem, PAGE);
    if (swapout) {
      b.madvise(P, this.mem, PAGE, 'pageout');
      b.expect({ pid: P, addr: this.mem, len: PAGE, swapBytes: PAGE, label: 'precondition: MADV_PAGEOUT swapped the page out' });
    }
    this.teardown = () => b.munmap(P, this.mem, PAGE);
    return this;
  }

  /**
   * do_run_with_thp(fn, thp_run, pmdsize), with run_anon_test_case's
   * thp_push_settings around it when `push` (the anon THP tests run with
   * the defaults).
   */
  thp(run: Exclude<Backing, 'base-page' | 'base-page-swap'>, push = true): this {
    const b = this.b;
    const mem = THP_MEM;
    if (push) b.comment('thp_push_settings: the PMD size enabled=always').sysctl('thp.enabled', 'always');
    b.mmapAnon(P, MMAP_MEM, 2 * THP);
    b.madvise(P, mem, THP, 'hugepage');
    b.comment('mem[0] = 1: try to populate a THP').write(P, mem, PAGE);
    b.expect({ pid: P, addr: mem + THP - PAGE, mapped: true, label: 'precondition: the last subpage got populated (a THP)' });
    b.write(P, mem, THP);
    let size = THP;
    let mremapped = false;
    switch (run) {
      case 'thp':
      case 'thp-swap':
        b.expect({ pid: P, addr: mem, len: THP, anonHugeBytes: THP, label: 'layout: a PMD-mapped THP' });
        break;
      case 'pte-mapped-thp':
      case 'pte-mapped-thp-swap':
        b.comment('Trigger PTE-mapping the THP by temporarily mapping a single subpage R/O').mprotect(P, mem + PAGE, PAGE, false);
        b.mprotect(P, mem + PAGE, PAGE, true);
        b.expect({ pid: P, addr: mem, len: THP, anonHugeBytes: 0, label: 'layout: no PMD maps the THP any more' });
        b.expect({ pid: P, addr: mem, folioOrder: 9, label: 'layout: the THP is PTE-mapped, still one 2 MiB folio' });
        break;
      case 'single-pte-thp':
      case 'single-pte-thp-swap':
        b.comment('Discard all but a single subpage of that PTE-mapped THP').madvise(P, mem + PAGE, THP - PAGE, 'dontneed');
        b.expect({ pid: P, addr: mem, folioOrder: 9, label: 'layout: a single PTE maps a subpage of the THP' });
        size = PAGE;
        break;
      case 'partial-mremap-thp':
        b.comment('Remap half of the THP').raw({ type: 'mremap', pid: P, addr: mem + THP / 2, len: THP / 2, newAddr: MREMAP_MEM });
        b.expect({ pid: P, addr: mem, folioOrder: 9, label: 'layout: the lower half still PTE-maps the THP' });
        size = THP / 2;
        mremapped = true;
        break;
    }
    if (run.endsWith('-swap')) {
      b.madvise(P, mem, size, 'pageout');
      b.expect({ pid: P, addr: mem, len: size, swapBytes: size, label: 'precondition: MADV_PAGEOUT swapped the range out' });
    }
    this.mem = mem;
    this.size = size;
    this.teardown = () => {
      b.munmap(P, MMAP_MEM, 2 * THP);
      if (mremapped) b.munmap(P, MREMAP_MEM, THP / 2);
      if (push) b.comment('thp_pop_settings').sysctl('thp.enabled', SETTINGS['thp.enabled']);
    };
    return this;
  }

  setup(backing: Backing): this {
    if (backing === 'base-page' || backing === 'base-page-swap') return this.basePage(backing === 'base-page-swap');
    return this.thp(backing);
  }

  /** child_memcmp_fn's "Backup the original content". */
  childBackup(): this {
    this.b.read(C, this.mem, this.size);
    return this;
  }
  /** child_memcmp_fn's memcmp(old, mem, size): "No leak from parent into child". */
  childStillReadsOld(): this {
    this.b.expect({ pid: C, addr: this.mem, len: this.size, contentIntact: true, label: 'No leak from parent into child' });
    return this;
  }
  /** The parent's memset(mem, 0xff, size). */
  modify(): this {
    this.b.comment('Modify the page').write(P, this.mem, this.size);
    return this;
  }
  /** mprotect(PROT_READ) (+ clear_softdirty()) + mprotect(PROT_READ|PROT_WRITE) over (mem, size). */
  mprotectRoundTrip(): this {
    this.b.mprotect(P, this.mem, this.size, false);
    this.b.mprotect(P, this.mem, this.size, true);
    return this;
  }
  /** Reading back through the pin and comparing with mem, as a device write through the pin on release (see the header). */
  pinIsReliable(handle: string, label: string): this {
    this.b.comment('the device writes through the pin: the process must see it iff the pin still holds what it maps').unpin(handle, true);
    this.b.expect({ pid: P, addr: this.mem, len: this.size, contentIntact: true, label });
    return this;
  }

  build(): ReturnType<LogBuilder['build']> {
    this.teardown?.();
    return this.b.build();
  }
}

/** The backings each workload of anon_test_cases[] runs with (its `backing` parameter's values; the first is the default). The anon THP tests have none (THP_RUN_PMD only). */
export const cowSelftestBackings = new Map<string, readonly Backing[]>();

function cowSelftest(s: {
  /** The test function in cow.c, e.g. test_cow_in_parent. */
  fn: string;
  /** The test case's description in anon_test_cases[]. */
  desc: string;
  expectation: string;
  designs: string[];
  body(t: CowSelftest): void;
}): Scenario {
  const name = `cow-${s.fn.replace(/^test_/, '').replace(/_/g, '-')}`;
  const backings = BACKINGS;
  cowSelftestBackings.set(name, backings);
  return defineScenario({
    name,
    title: `cow selftest "${s.desc}"`,
    source: SOURCE,
    expectation: s.expectation,
    designs: s.designs,
    params: [backingParam],
    generate(p) {
      const backing = enumParam(p, 'backing', backings[0]!, backings);
      const t = new CowSelftest(name, p);
      s.body(t.setup(backing));
      return t.build();
    },
  });
}

// ------------------------------------------------------- anon_test_cases[]

/** do_test_cow_in_parent(mem, size, do_mprotect, child_memcmp_fn). */
function cowInParent(t: CowSelftest, mprotect: boolean): void {
  t.b.fork(P, C);
  t.childBackup();
  if (mprotect) t.mprotectRoundTrip();
  t.modify();
  t.childStillReadsOld();
  t.b.exit(C);
}

export const cowInParentScenario = cowSelftest({
  fn: 'test_cow_in_parent',
  desc: 'Basic COW after fork()',
  expectation:
    "every era: fork write-protects the shared pages on both sides, the parent's write copies (a PMD-mapped THP: 2 MiB up to 5.7, 4 KiB from 5.8), the child keeps reading the old data",
  designs: ALL,
  body: (t) => cowInParent(t, false),
});

export const cowInParentMprotectScenario = cowSelftest({
  fn: 'test_cow_in_parent_mprotect',
  desc: 'Basic COW after fork() with mprotect() optimization',
  expectation:
    "every era: mprotect(PROT_READ|PROT_WRITE) must not map the CoW-shared pages writable (6.1+ maps only exclusive pages writable directly), so the parent's write still copies and the child reads the old data",
  designs: ALL,
  body: (t) => cowInParent(t, true),
});

/** do_test_iouring(mem, size, use_fork). */
function iouring(t: CowSelftest, useFork: boolean): void {
  t.b.comment('io_uring_register_buffers: FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM').pin(P, t.mem, t.size, 'fixed-buffer', { longterm: true, fast: false });
  if (useFork) t.b.fork(P, C);
  else t.mprotectRoundTrip();
  t.modify();
  t.pinIsReliable('fixed-buffer', 'Longterm R/W pin is reliable');
  if (useFork) t.b.exit(C);
}

export const iouringRoScenario = cowSelftest({
  fn: 'test_iouring_ro',
  desc: 'R/O-mapping a page registered as iouring fixed buffer',
  expectation:
    '<= 5.8 (mapcount-based reuse) and 5.19+ (PG_anon_exclusive): the write fault on the R/O-mapped, pinned, exclusive page reuses it, the pin keeps seeing the data. 5.9–5.18 copied (page_count != 1) and lost the pin (no preset); so did 4.5.0 for THPs (fixed for 4.6, see the header)',
  designs: ALL,
  body: (t) => iouring(t, false),
});

export const iouringForkScenario = cowSelftest({
  fn: 'test_iouring_fork',
  desc: 'fork() with an iouring fixed buffer',
  expectation:
    "5.9+: fork copies the pinned pages into the child at once (a pinned PMD is split first) and the parent keeps writing into the pinned page. Before 5.9 fork shares the pinned page write-protected, the parent's write copies it away from the pin: the pin is lost",
  designs: ['linux-6.10', 'linux-6.15'],
  body: (t) => iouring(t, true),
});

type RoPinTest = 'shared' | 'previously-shared' | 'ro-exclusive';

/** do_test_ro_pin(mem, size, test, fast). */
function roPin(t: CowSelftest, test: RoPinTest, fast: boolean): void {
  if (test === 'ro-exclusive') t.mprotectRoundTrip();
  else {
    t.b.comment('Share the pages with our child').fork(P, C);
    if (test === 'previously-shared') t.b.comment('the child quits: the pages stay mapped R/O, no longer shared').exit(C);
  }
  t.b
    .comment(`Take a R/O pin (PIN_LONGTERM_TEST_START${fast ? ', PIN_LONGTERM_TEST_FLAG_USE_FAST' : ''}). This should trigger unsharing`)
    .raw({ type: 'pin', pid: P, addr: t.mem, len: t.size, handle: 'gup_test', longterm: true, fast, write: false });
  t.modify();
  t.pinIsReliable('gup_test', 'Longterm R/O pin is reliable');
  if (test === 'shared') t.b.exit(C);
}

const RO_SHARED_EXPECTATION =
  "fails where a R/O GUP of a CoW-shared page leaves it shared, so the parent's write copies away from the pin: 3.13, 4.5 (no swapped-out runs there: no MADV_PAGEOUT before 5.4, the selftest skips) and 5.9–5.18. 5.8 passes: its GUP broke CoW even for reads (17839856fd58), and GUP-fast took only writable entries. 5.19+ passes: the R/O pin unshares (FAULT_FLAG_UNSHARE), the parent's write then reuses the exclusive page";
const RO_PREV_EXPECTATION =
  'every preset era: the page is mapped R/O but no longer shared. <= 5.8: the write reuses it (mapcount 1); 5.19+: the R/O pin unshares it first (marks it PG_anon_exclusive), the write reuses it. 5.9–5.18 copied (page_count) and lost the pin (no preset); so did 4.5.0 for THPs (fixed for 4.6)';
const RO_EXCL_EXPECTATION =
  'every preset era: the R/O-mapped page is exclusive; <= 5.8 reuse it on write (mapcount 1), 5.19+ too (PG_anon_exclusive survives mprotect). 5.9–5.18 copied (page_count) and lost the pin (no preset); so did 4.5.0 for THPs (fixed for 4.6)';

export const roPinOnSharedScenario = cowSelftest({
  fn: 'test_ro_pin_on_shared',
  desc: 'R/O GUP pin on R/O-mapped shared page',
  expectation: RO_SHARED_EXPECTATION,
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  body: (t) => roPin(t, 'shared', false),
});

export const roFastPinOnSharedScenario = cowSelftest({
  fn: 'test_ro_fast_pin_on_shared',
  desc: 'R/O GUP-fast pin on R/O-mapped shared page',
  expectation: RO_SHARED_EXPECTATION,
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  body: (t) => roPin(t, 'shared', true),
});

export const roPinOnRoPreviouslySharedScenario = cowSelftest({
  fn: 'test_ro_pin_on_ro_previously_shared',
  desc: 'R/O GUP pin on R/O-mapped previously-shared page',
  expectation: RO_PREV_EXPECTATION,
  designs: ALL,
  body: (t) => roPin(t, 'previously-shared', false),
});

export const roFastPinOnRoPreviouslySharedScenario = cowSelftest({
  fn: 'test_ro_fast_pin_on_ro_previously_shared',
  desc: 'R/O GUP-fast pin on R/O-mapped previously-shared page',
  expectation: RO_PREV_EXPECTATION,
  designs: ALL,
  body: (t) => roPin(t, 'previously-shared', true),
});

export const roPinOnRoExclusiveScenario = cowSelftest({
  fn: 'test_ro_pin_on_ro_exclusive',
  desc: 'R/O GUP pin on R/O-mapped exclusive page',
  expectation: RO_EXCL_EXPECTATION,
  designs: ALL,
  body: (t) => roPin(t, 'ro-exclusive', false),
});

export const roFastPinOnRoExclusiveScenario = cowSelftest({
  fn: 'test_ro_fast_pin_on_ro_exclusive',
  desc: 'R/O GUP-fast pin on R/O-mapped exclusive page',
  expectation: RO_EXCL_EXPECTATION,
  designs: ALL,
  body: (t) => roPin(t, 'ro-exclusive', true),
});

// --------------------------------------------------- anon_thp_test_cases[]

/** do_test_anon_thp_collapse(mem, size, test) for the two cases without MADV_DONTFORK; run with THP_RUN_PMD only. */
function anonThpCollapse(t: CowSelftest, test: 'unshared' | 'fully-shared'): void {
  const b = t.b;
  b.comment('Trigger PTE-mapping the THP by temporarily mapping a single subpage R/O').mprotect(P, t.mem + PAGE, PAGE, false);
  b.mprotect(P, t.mem + PAGE, PAGE, true);
  const collapse = (when: string) => {
    b.comment(`Collapse ${when}`).madvise(P, t.mem, t.size, 'collapse');
    b.expect({ pid: P, addr: t.mem, len: t.size, anonHugeBytes: t.size, label: 'precondition: MADV_COLLAPSE collapsed the range' });
  };
  if (test === 'unshared') collapse('before actually COW-sharing the page');
  b.fork(P, C);
  t.childBackup();
  if (test === 'fully-shared') collapse('before anyone modified the COW-shared page');
  t.modify();
  t.childStillReadsOld();
  b.exit(C);
}

function anonThpTest(s: { fn: string; desc: string; expectation: string; test: 'unshared' | 'fully-shared' }): Scenario {
  const name = `cow-${s.fn.replace(/^test_/, '').replace(/_/g, '-')}`;
  return defineScenario({
    name,
    title: `cow selftest "${s.desc}"`,
    source: SOURCE,
    expectation: s.expectation,
    designs: ['linux-6.10', 'linux-6.15'],
    generate(p) {
      const t = new CowSelftest(name, p);
      t.thp('thp', false);
      anonThpCollapse(t, s.test);
      return t.build();
    },
  });
}

export const anonThpCollapseUnsharedScenario = anonThpTest({
  fn: 'test_anon_thp_collapse_unshared',
  desc: 'Basic COW after fork() when collapsing before fork()',
  test: 'unshared',
  expectation:
    "6.1+ (MADV_COLLAPSE): the PTE-mapped THP collapses in place back under a PMD; fork then shares it, the parent's write copies, the child reads the old data. Before 6.1 MADV_COLLAPSE fails with EINVAL and the selftest skips",
});

export const anonThpCollapseFullySharedScenario = anonThpTest({
  fn: 'test_anon_thp_collapse_fully_shared',
  desc: 'Basic COW after fork() when collapsing after fork() (fully shared)',
  test: 'fully-shared',
  expectation:
    "6.10 and 6.15: MADV_COLLAPSE refuses, fork left no writable PTE in the range (SCAN_PAGE_RO, EINVAL), so the selftest skips; the parent's write then copies 4 KiB pages and the child reads the old data. Before 6.1 MADV_COLLAPSE does not exist (EINVAL, skip)",
});

/** The cow.c anon tests the model can express, in the selftest's order. */
export const cowSelftestScenarios: Scenario[] = [
  cowInParentScenario,
  cowInParentMprotectScenario,
  iouringRoScenario,
  iouringForkScenario,
  roPinOnSharedScenario,
  roFastPinOnSharedScenario,
  roPinOnRoPreviouslySharedScenario,
  roFastPinOnRoPreviouslySharedScenario,
  roPinOnRoExclusiveScenario,
  roFastPinOnRoExclusiveScenario,
  anonThpCollapseUnsharedScenario,
  anonThpCollapseFullySharedScenario,
];
