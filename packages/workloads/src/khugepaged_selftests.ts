/**
 * The kernel's own khugepaged selftests (anon part) as named workloads, so
 * that pagelab's outcomes can be held against what the kernel does.
 *
 * Source: tools/testing/selftests/mm/khugepaged.c at T612 (earlier
 * tools/testing/selftests/vm/khugepaged.c, added with the v5.8 series that
 * taught khugepaged to collapse shared and PTE-mapped compound pages). The
 * facts were read there; the code below is ours.
 *
 * How the selftest's mechanisms map to events (pid 1 is the test process,
 * pid 2 the child of the fork tests, the region is BASE_ADDR = 1 GiB):
 *   - default settings: thp.enabled=madvise, max_ptes_none=511,
 *     max_ptes_swap=64, max_ptes_shared=256, pages_to_scan=4096 (header);
 *   - fill_memory → a write `touch` (one fresh content token per page);
 *   - validate_memory → `expect contentIntact` over the same range (the model
 *     keeps what every page should hold);
 *   - check_huge_anon(p, n) (smaps AnonHugePages of the VMA at p) →
 *     `expect anonHugeBytes` = n × 2 MiB over that VMA;
 *   - check_swap(p, size) (smaps Swap of the VMA) → `expect swapBytes`;
 *   - the "khugepaged" context (khugepaged_collapse / wait_for_scan):
 *     sanity check_huge(p, 0), MADV_HUGEPAGE, wait for two full scans,
 *     MADV_NOHUGEPAGE, check_huge → `khugepaged` with 2 passes (each pass
 *     covers pages_to_scan = 8 PMD ranges, more than any test maps);
 *   - the "madvise" context (madvise_collapse): sanity check_huge(p, 0),
 *     thp.enabled=never (so khugepaged cannot interfere, and to show that
 *     MADV_COLLAPSE ignores it), MADV_HUGEPAGE, MADV_COLLAPSE, check_huge,
 *     settings popped → `sysctl` / `madvise` events;
 *   - write_num("khugepaged/max_ptes_*") and the settings stack → `sysctl`.
 *
 * Not encoded: MADV_COLLAPSE's return value ("Fail: Bad return value") — the
 * log format has no check for a syscall's result, so only the check_huge
 * that follows it is encoded; the selftest's "Timeout" path (wall-clock
 * waiting for khugepaged) has no meaning in a replay.
 *
 * Every workload takes a `context` parameter ('khugepaged', the default, or
 * 'madvise'), because the selftest runs each test in both. MADV_COLLAPSE
 * appeared in 6.1, so the madvise variants are meaningful for linux-6.10
 * and linux-6.15 only (5.8 returns EINVAL for the advice).
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const SOURCE = 'tools/testing/selftests/mm/khugepaged.c (T612)';
const DESIGNS = ['linux-5.8', 'linux-6.10', 'linux-6.15'];
/** BASE_ADDR ((void *)(1UL << 30)). */
const BASE = REGION;
const HPAGE_PMD_NR = 512;
const machine = { memory: 256 * MiB, swap: 64 * MiB };
/** main()'s default_settings pushed before any test. */
const DEFAULT_SETTINGS = {
  'thp.enabled': 'madvise',
  'thp.defrag': 'always',
  'khugepaged.max_ptes_none': HPAGE_PMD_NR - 1,
  'khugepaged.max_ptes_swap': HPAGE_PMD_NR / 8,
  'khugepaged.max_ptes_shared': HPAGE_PMD_NR / 2,
  'khugepaged.pages_to_scan': HPAGE_PMD_NR * 8,
} as const;

export type CollapseContext = 'khugepaged' | 'madvise';
const CONTEXTS = ['khugepaged', 'madvise'] as const;
const contextParam = {
  name: 'context',
  description: "collapse context of the selftest: 'khugepaged' (wait for two full scans) or 'madvise' (MADV_COLLAPSE, 6.1+)",
  default: 'khugepaged',
};

/** Two full scans: wait_for_scan waits for khugepaged/full_scans + 2. */
const KHUGEPAGED_PASSES = 2;

/** The selftest's helpers over a LogBuilder. */
class Selftest {
  readonly b: LogBuilder;
  constructor(
    name: string,
    p: Record<string, unknown>,
    readonly ctx: CollapseContext,
    m: { memory: number; swap?: number } = machine,
  ) {
    this.b = new LogBuilder(name, 0, p, m, { ...DEFAULT_SETTINGS });
  }

  /** anon_setup_area / alloc_mapping: MAP_ANONYMOUS|MAP_PRIVATE at BASE_ADDR, nr PMD sizes. */
  setupArea(nr = 1, pid = 1): this {
    this.b.mmapAnon(pid, BASE, nr * THP);
    return this;
  }
  /** fill_memory(p, start, end): one write per page. */
  fill(start: number, end: number, pid = 1): this {
    this.b.write(pid, BASE + start, end - start);
    return this;
  }
  /** validate_memory(p, start, end). */
  validate(start: number, end: number, label: string, pid = 1): this {
    this.b.expect({ pid, addr: BASE + start, len: end - start, contentIntact: true, label });
    return this;
  }
  /** check_huge_anon(p, nr): AnonHugePages of the VMA at p (vmaLen long) is nr PMD sizes. */
  checkHuge(nr: number, label: string, pid = 1, vmaLen = THP, addr = BASE): this {
    this.b.expect({ pid, addr, len: vmaLen, anonHugeBytes: nr * THP, label });
    return this;
  }
  /** check_swap(p, size): Swap of the VMA at p. */
  checkSwap(bytes: number, label: string, pid = 1): this {
    this.b.expect({ pid, addr: BASE, len: THP, swapBytes: bytes, label });
    return this;
  }

  /**
   * c->collapse(msg, p, nr_hpages, ops, expect) in this workload's context.
   * Both contexts start with the sanity check_huge(p, 0), which exits the
   * selftest ("Unexpected huge page") when it fails.
   */
  collapse(msg: string, nr: number, expect: boolean, pid = 1, addr = BASE): this {
    const len = nr * THP;
    this.checkHuge(0, `${msg}: sanity check, no huge page before the collapse`, pid, len, addr);
    if (this.ctx === 'khugepaged') {
      this.b.madvise(pid, addr, len, 'hugepage');
      this.b.comment('wait_for_scan: until khugepaged/full_scans has advanced by 2').khugepaged(undefined, KHUGEPAGED_PASSES);
      this.b.madvise(pid, addr, len, 'nohugepage');
    } else {
      this.b.comment('__madvise_collapse: thp_enabled=never, so khugepaged cannot interfere and MADV_COLLAPSE must ignore it').sysctl('thp.enabled', 'never');
      this.b.madvise(pid, addr, len, 'hugepage');
      this.b.madvise(pid, addr, len, 'collapse');
    }
    this.checkHuge(expect ? nr : 0, msg, pid, len, addr);
    if (this.ctx === 'madvise') this.b.sysctl('thp.enabled', DEFAULT_SETTINGS['thp.enabled']);
    return this;
  }

  /**
   * alloc_hpage: a PMD-mapped THP in a VM_HUGEPAGE VMA, filled. The
   * khugepaged variant follows the v5.8 selftest (MADV_HUGEPAGE, then fault
   * it in), which any 5.8+ kernel runs; the madvise variant follows T612
   * (fault small pages into a VMA with neither flag, MADV_COLLAPSE them,
   * then MADV_HUGEPAGE). Both end in the same state.
   */
  allocHpage(pid = 1): this {
    this.setupArea(1, pid);
    if (this.ctx === 'khugepaged') {
      this.b.madvise(pid, BASE, THP, 'hugepage');
      this.fill(0, THP, pid);
      this.checkHuge(1, 'Allocate huge page', pid);
    } else {
      this.fill(0, THP, pid);
      this.b.madvise(pid, BASE, THP, 'collapse');
      this.checkHuge(1, 'Allocate huge page (MADV_COLLAPSE)', pid);
      this.b.madvise(pid, BASE, THP, 'hugepage');
    }
    return this;
  }

  build(): ReturnType<LogBuilder['build']> {
    return this.b.build();
  }
}

/** The collapse contexts each selftest workload runs in (its `context` parameter's values; the first is the default). */
export const selftestContexts = new Map<string, readonly CollapseContext[]>();

function selftest(s: {
  test: string;
  title: string;
  expectation: string;
  designs?: string[];
  contexts?: readonly CollapseContext[];
  machine?: { memory: number; swap?: number };
  body(t: Selftest): void;
}): Scenario {
  const name = `selftest-${s.test.replace(/_/g, '-')}`;
  const contexts = s.contexts ?? CONTEXTS;
  selftestContexts.set(name, contexts);
  return defineScenario({
    name,
    title: `khugepaged selftest ${s.test}: ${s.title}`,
    source: SOURCE,
    expectation: s.expectation,
    designs: s.designs ?? DESIGNS,
    params: [{ ...contextParam, description: `${contextParam.description}; this one: ${contexts.join(', ')}`, default: contexts[0]! }],
    generate(p) {
      const ctx = enumParam(p, 'context', contexts[0]!, contexts);
      const t = new Selftest(name, p, ctx, s.machine);
      t.b.spawn(1);
      s.body(t);
      return t.build();
    },
  });
}

// ---------------------------------------------------------------- the tests

/** alloc_at_fault: run by main() before every test. */
export const allocAtFault = selftest({
  test: 'alloc_at_fault',
  title: 'a THP on the first fault with thp.enabled=always; MADV_DONTNEED of one page splits the PMD',
  expectation:
    'every era since 2.6.38: the first write faults in a PMD-mapped THP; zapping one 4 KiB page splits the PMD (3.13 splits the whole compound page, 4.5+ only the PMD), so AnonHugePages drops to 0',
  contexts: ['khugepaged'],
  body(t) {
    t.b.sysctl('thp.enabled', 'always');
    t.setupArea();
    t.b.write(1, BASE, PAGE);
    t.checkHuge(1, 'Allocate huge page on fault');
    t.b.sysctl('thp.enabled', DEFAULT_SETTINGS['thp.enabled']);
    t.b.madvise(1, BASE, PAGE, 'dontneed');
    t.checkHuge(0, 'Split huge PMD on MADV_DONTNEED');
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseFull = selftest({
  test: 'collapse_full',
  title: 'four fully populated PTE tables collapse',
  expectation: '5.8+ (and already 3.13/4.5): four PMD ranges of 512 exclusive, young, writable small pages each collapse into four THPs; content intact',
  body(t) {
    const nr = 4;
    t.setupArea(nr).fill(0, nr * THP);
    t.collapse('Collapse multiple fully populated PTE table', nr, true);
    t.validate(0, nr * THP, 'validate_memory');
    t.b.munmap(1, BASE, nr * THP);
  },
});

export const collapseEmpty = selftest({
  test: 'collapse_empty',
  title: 'an empty PTE table is not collapsed',
  expectation: 'every era: no page table / nothing present, so no collapse (khugepaged: SCAN_PMD_NULL or SCAN_EXCEED_NONE_PTE; MADV_COLLAPSE fails)',
  body(t) {
    t.setupArea();
    t.collapse('Do not collapse empty PTE table', 1, false);
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseSinglePteEntry = selftest({
  test: 'collapse_single_pte_entry',
  title: 'one present PTE and 511 none collapse (max_ptes_none = 511)',
  expectation: 'every era: 511 none PTEs <= max_ptes_none (511), so the range collapses, the none slots zero-filled (collapse-bloat waste of 511 pages)',
  body(t) {
    t.setupArea().fill(0, PAGE);
    t.collapse('Collapse PTE table with single PTE entry present', 1, true);
    // The v5.8 selftest validates page 0 here; T612 does not.
    t.validate(0, PAGE, 'validate_memory (v5.8 selftest)');
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseMaxPtesNone = selftest({
  test: 'collapse_max_ptes_none',
  title: 'max_ptes_none = 256: 257 none PTEs refuse, 256 collapse',
  expectation:
    'khugepaged, every era: 255 present + 257 none > 256 → SCAN_EXCEED_NONE_PTE; after one more page, 256 none → collapse. MADV_COLLAPSE ignores max_ptes_none and collapses the 255 pages at once',
  body(t) {
    const maxPtesNone = HPAGE_PMD_NR / 2;
    t.b.sysctl('khugepaged.max_ptes_none', maxPtesNone);
    t.setupArea();
    const enforce = t.ctx === 'khugepaged';
    t.fill(0, (HPAGE_PMD_NR - maxPtesNone - 1) * PAGE);
    t.collapse('Maybe collapse with max_ptes_none exceeded', 1, !enforce);
    t.validate(0, (HPAGE_PMD_NR - maxPtesNone - 1) * PAGE, 'validate_memory');
    if (enforce) {
      t.fill(0, (HPAGE_PMD_NR - maxPtesNone) * PAGE);
      t.collapse('Collapse with max_ptes_none PTEs empty', 1, true);
      t.validate(0, (HPAGE_PMD_NR - maxPtesNone) * PAGE, 'validate_memory');
    }
    t.b.munmap(1, BASE, THP);
    t.b.sysctl('khugepaged.max_ptes_none', DEFAULT_SETTINGS['khugepaged.max_ptes_none']);
  },
});

export const collapseSwapinSinglePte = selftest({
  test: 'collapse_swapin_single_pte',
  title: 'one swapped-out PTE is swapped in and the range collapses',
  expectation:
    "5.8+: 1 swap PTE <= max_ptes_swap (64) and 511 referenced pages >= 256, so khugepaged swaps the page in and collapses. 3.13/4.4: khugepaged never swaps in, any swap PTE refuses the range (the model's linux-3.13); the swap-in path with max_ptes_swap came with 4.8 (the model's linux-4.5 preset already has it)",
  body(t) {
    t.setupArea().fill(0, THP);
    t.b.madvise(1, BASE, PAGE, 'pageout');
    t.checkSwap(PAGE, 'Swapout one page');
    t.collapse('Collapse with swapping in single PTE entry', 1, true);
    t.validate(0, THP, 'validate_memory');
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseMaxPtesSwap = selftest({
  test: 'collapse_max_ptes_swap',
  title: 'max_ptes_swap = 64: 65 swap PTEs refuse, 64 collapse',
  expectation:
    'khugepaged 5.8+: 65 swap PTEs > 64 → SCAN_EXCEED_SWAP_PTE; with 64 swapped out (448 referenced >= 256) it swaps them in and collapses. MADV_COLLAPSE ignores max_ptes_swap and collapses at once. 3.13/4.4: any swap PTE refuses',
  body(t) {
    const maxPtesSwap = DEFAULT_SETTINGS['khugepaged.max_ptes_swap'];
    const enforce = t.ctx === 'khugepaged';
    t.setupArea().fill(0, THP);
    t.b.madvise(1, BASE, (maxPtesSwap + 1) * PAGE, 'pageout');
    t.checkSwap((maxPtesSwap + 1) * PAGE, `Swapout ${maxPtesSwap + 1} of ${HPAGE_PMD_NR} pages`);
    t.collapse('Maybe collapse with max_ptes_swap exceeded', 1, !enforce);
    t.validate(0, THP, 'validate_memory');
    if (enforce) {
      t.fill(0, THP);
      t.b.madvise(1, BASE, maxPtesSwap * PAGE, 'pageout');
      t.checkSwap(maxPtesSwap * PAGE, `Swapout ${maxPtesSwap} of ${HPAGE_PMD_NR} pages`);
      t.collapse('Collapse with max_ptes_swap pages swapped out', 1, true);
      t.validate(0, THP, 'validate_memory');
    }
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseSinglePteEntryCompound = selftest({
  test: 'collapse_single_pte_entry_compound',
  title: 'a THP reduced to one PTE-mapped subpage collapses',
  expectation:
    '5.8+: MADV_DONTNEED of pages 1..511 splits the PMD and leaves one PTE into the (deferred-split-queued) THP; khugepaged collapses the PTE-mapped compound page (511 none). 4.5–5.7: refused, SCAN_PAGE_COMPOUND ("TODO: teach khugepaged to collapse THP mapped with pte"). 3.13: the partial zap splits the compound page itself, so the single small page collapses',
  body(t) {
    t.allocHpage();
    t.b.madvise(1, BASE, THP, 'nohugepage');
    t.b.madvise(1, BASE + PAGE, THP - PAGE, 'dontneed');
    t.checkHuge(0, 'Split huge page leaving single PTE mapping compound page');
    t.collapse('Collapse PTE table with single PTE mapping compound page', 1, true);
    t.validate(0, PAGE, 'validate_memory');
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseFullOfCompound = selftest({
  test: 'collapse_full_of_compound',
  title: 'a THP whose PMD was split by a VMA split (all 512 PTEs into one compound page) collapses',
  expectation:
    '5.8+: MADV_NOHUGEPAGE on the first page splits the VMA, and __split_vma → vma_adjust_trans_huge splits the huge PMD straddling the new boundary; the second MADV_NOHUGEPAGE merges the VMA back. The PTE-mapped THP then collapses (a copy into a new THP). 4.5–5.7: SCAN_PAGE_COMPOUND. 3.13: the VMA split splits the compound page, the small pages collapse',
  body(t) {
    t.allocHpage();
    t.b.madvise(1, BASE, PAGE, 'nohugepage');
    t.b.madvise(1, BASE, THP, 'nohugepage');
    t.checkHuge(0, 'Split huge page leaving single PTE page table full of compound pages');
    t.collapse('Collapse PTE table full of compound pages', 1, true);
    t.validate(0, THP, 'validate_memory');
    t.b.munmap(1, BASE, THP);
  },
});

/**
 * collapse_compound_extreme builds a PTE table whose 512 PTEs map the first
 * subpage of 512 different THPs, with the selftest's own resizing mremaps:
 * the VMA [BASE - i pages, BASE + 2 MiB) gets a THP faulted at BASE, is
 * moved away shrunk to i+1 pages (the shrink unmaps the THP's subpages
 * 1..511), and is moved back one page lower while growing by 2 MiB. Two
 * kernel facts make this work: after the shrink and the move no VMA is left
 * in [BASE, BASE + 2 MiB), so free_pgtables frees its PTE page; and the
 * growth there is new address space with no page table, so the next fault
 * at BASE finds pmd_none and installs a THP (a PMD range whose table is
 * allocated but empty would fault small pages). The growth continues the
 * VMA (one anon_vma, contiguous page offsets), so the pieces stay one VMA
 * for khugepaged to scan. The selftest's MADV_HUGEPAGE / MADV_NOHUGEPAGE
 * around each fault only keep the asynchronous khugepaged off the half-built
 * table; here khugepaged runs only at `khugepaged` events, so the VMA is
 * made VM_HUGEPAGE once. The 512 THPs stay partially mapped (deferred split
 * needs memory pressure), hence a machine just over 1 GiB.
 */
export const collapseCompoundExtreme = selftest({
  test: 'collapse_compound_extreme',
  title: 'a PTE table mapping 512 different PTE-mapped THPs collapses',
  expectation:
    '5.8+: each PTE maps subpage 0 of a different, otherwise unmapped THP; khugepaged isolates 512 large folios and collapses them into one new THP, freeing all 512 old ones. 4.5–5.7: SCAN_PAGE_COMPOUND. 3.13: each partial unmap splits its THP, so the table is 512 small pages and collapses',
  machine: { memory: 1088 * MiB, swap: 64 * MiB },
  body(t) {
    const b = t.b;
    const away = BASE + 2 * THP; // BASE_ADDR + 2 * hpage_pmd_size
    t.setupArea();
    b.madvise(1, BASE, THP, 'hugepage');
    for (let i = 0; i < HPAGE_PMD_NR; i++) {
      b.write(1, BASE, THP);
      b.expect({
        pid: 1,
        addr: BASE,
        len: THP,
        anonHugeBytes: THP,
        label: `Construct PTE page table full of different PTE-mapped compound pages ${i + 1}/${HPAGE_PMD_NR}: huge page allocated`,
      });
      b.raw({ type: 'mremap', pid: 1, addr: BASE - i * PAGE, len: i * PAGE + THP, newLen: (i + 1) * PAGE, newAddr: away });
      b.raw({ type: 'mremap', pid: 1, addr: away, len: (i + 1) * PAGE, newLen: (i + 1) * PAGE + THP, newAddr: BASE - (i + 1) * PAGE });
    }
    b.munmap(1, BASE, THP);
    const p = BASE - THP;
    b.write(1, p, THP);
    b.expect({
      pid: 1,
      addr: p,
      len: THP,
      mapped: true,
      label: '512 present pages at p (the 512 pieces in one VMA, or khugepaged would not scan the range)',
    });
    t.checkHuge(0, 'Construct PTE page table full of different PTE-mapped compound pages', 1, THP, p);
    t.collapse('Collapse PTE table full of different compound pages', 1, true, 1, p);
    b.expect({ pid: 1, addr: p, len: THP, contentIntact: true, label: 'validate_memory' });
    b.munmap(1, p, THP);
  },
});

export const collapseFork = selftest({
  test: 'collapse_fork',
  title: 'the child collapses a table holding one small page shared with the parent',
  expectation:
    '5.8+: the child sees 1 shared PTE (<= max_ptes_shared 256), 1 own page and 510 none; it collapses (copying the shared page) and the parent keeps its small page. 3.13 and 4.5–5.7: page_count of the shared page is 2, so khugepaged refuses (SCAN_PAGE_COUNT) and the child stays small',
  body(t) {
    t.setupArea();
    t.fill(0, PAGE);
    t.checkHuge(0, 'Allocate small page');
    t.b.fork(1, 2);
    t.checkHuge(0, 'Share small page over fork()', 2);
    t.fill(PAGE, 2 * PAGE, 2);
    t.collapse('Collapse PTE table with single page shared with parent process', 1, true, 2);
    t.validate(0, PAGE, 'validate_memory (child)', 2);
    t.b.munmap(2, BASE, THP).exit(2);
    t.checkHuge(0, 'Check if parent still has small page');
    t.validate(0, PAGE, 'validate_memory (parent)');
    t.b.munmap(1, BASE, THP);
  },
});

export const collapseForkCompound = selftest({
  test: 'collapse_fork_compound',
  title: 'the child collapses its PTE-mapped view of a THP the parent still maps by PMD',
  expectation:
    '5.8+: the child splits its PMD (VMA split by MADV_NOHUGEPAGE on one page), CoWs page 0 (4 KiB), and with max_ptes_shared = 511 collapses the 511 shared PTEs plus its own page; the parent keeps its PMD-mapped THP. 4.5–5.7: SCAN_PAGE_COMPOUND, no collapse. 3.13: the VMA split splits the compound page under the parent too (the parent loses its huge page) and the shared small pages have page_count 2 (refused)',
  body(t) {
    t.allocHpage();
    t.b.fork(1, 2);
    t.checkHuge(1, 'Share huge page over fork()', 2);
    t.b.madvise(2, BASE, PAGE, 'nohugepage');
    t.b.madvise(2, BASE, THP, 'nohugepage');
    t.checkHuge(0, 'Split huge page PMD in child process', 2);
    t.fill(0, PAGE, 2);
    t.b.sysctl('khugepaged.max_ptes_shared', HPAGE_PMD_NR - 1);
    t.collapse('Collapse PTE table full of compound pages in child', 1, true, 2);
    t.b.sysctl('khugepaged.max_ptes_shared', DEFAULT_SETTINGS['khugepaged.max_ptes_shared']);
    t.validate(0, THP, 'validate_memory (child)', 2);
    t.b.munmap(2, BASE, THP).exit(2);
    t.checkHuge(1, 'Check if parent still has huge page');
    t.validate(0, THP, 'validate_memory (parent)');
    t.b.munmap(1, BASE, THP);
  },
});

// collapse_max_ptes_shared is s21-selftest-max-ptes-shared (sharedness.ts), khugepaged context.

export const madviseCollapseExistingThps = selftest({
  test: 'madvise_collapse_existing_thps',
  title: 'MADV_COLLAPSE of a range that is already a PMD-mapped THP succeeds and keeps it',
  expectation:
    '6.1+ (MADV_COLLAPSE): the first call collapses the 512 small pages; the second finds the PMD mapped (SCAN_PMD_MAPPED counts as success) and leaves the THP and its content alone. Before 6.1 the advice does not exist (EINVAL)',
  designs: ['linux-6.10', 'linux-6.15'],
  contexts: ['madvise'],
  body(t) {
    t.setupArea().fill(0, THP);
    t.collapse('Collapse fully populated PTE table...', 1, true);
    t.validate(0, THP, 'validate_memory');
    // "c->collapse() will find a hugepage and complain - call directly": no sanity check.
    t.b.sysctl('thp.enabled', 'never');
    t.b.madvise(1, BASE, THP, 'hugepage');
    t.b.madvise(1, BASE, THP, 'collapse');
    t.checkHuge(1, 'Re-collapse PMD-mapped hugepage');
    t.b.sysctl('thp.enabled', DEFAULT_SETTINGS['thp.enabled']);
    t.validate(0, THP, 'validate_memory');
    t.b.munmap(1, BASE, THP);
  },
});

/** Every anon test of the selftest except collapse_max_ptes_shared (s21), in the selftest's order. */
export const khugepagedSelftestScenarios: Scenario[] = [
  allocAtFault,
  collapseFull,
  collapseEmpty,
  collapseSinglePteEntry,
  collapseMaxPtesNone,
  collapseSwapinSinglePte,
  collapseMaxPtesSwap,
  collapseSinglePteEntryCompound,
  collapseFullOfCompound,
  collapseCompoundExtreme,
  collapseFork,
  collapseForkCompound,
  madviseCollapseExistingThps,
];
