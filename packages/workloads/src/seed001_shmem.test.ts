/**
 * Seed 001's workloads (seed001_shmem.ts) replayed under the installed
 * presets, the invariants walked after every event. linux-3.13 has no shmem
 * THP; linux-4.5 stands for 4.8–5.6 (zero-keep, E1); linux-5.8, 6.10 and
 * 6.15 split on punch (E3–E5). Each workload's expects encode what the
 * thread asks for (the punched memory freed); where an era does not do
 * that, the failed checks are listed with the values the replay read. Where
 * the model and the kernel part, the kernel's outcome is an `it.fails` case
 * marked KNOWN DISCREPANCY, next to a case pinning what the model does.
 */
import { PRESETS, type Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { validateLogText } from '@pagelab/events';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  anonDontneedEverySubpage,
  balloonPunch,
  punchEverySubpage,
  punchStraddlingRange,
  punchThenKhugepaged,
  punchWholeThp,
  seed001Scenarios,
  splitHpageFlag,
  truncateMidThp,
} from './seed001_shmem.js';
import type { Scenario } from './scenario.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const PAGE = 4096;
const MiB = 1 << 20;
const THP = 2 * MiB;
const ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
/** E3–E5: the partial punch splits the THP (Hugh Dickins' 5.7 shmem_punch_compound, then truncate_inode_partial_folio). */
const SPLIT_ERAS = ['linux-5.8', 'linux-6.10', 'linux-6.15'];
/**
 * 6.15+ split a partly punched shmem THP non-uniformly (7460b470a131, docs/kernel/mm-facts.md §7 E.6): only the
 * punched pages end in order-0 folios, so page 0 stays in a large folio of the order of the punch's first page's
 * highest bit, and the "split to small pages" checks read that order there.
 */
const NON_UNIFORM = 'linux-6.15';
const splitCheck = (design: string, label: string, order: number): [string, unknown][] => (design === NON_UNIFORM ? [[label, order]] : []);
const THP_CHECKS_313: [string, unknown][] = [
  ['guest RAM is backed by a shmem THP', 0],
  ['guest RAM is PMD-mapped (ShmemPmdMapped)', 0],
];
const outcome = (ok: number, failed = 0, reasons: Record<string, number> = {}) => ({ ok, failed, reasons });

interface Run extends CheckedRun {
  /** The shmem_punch / shmem_truncate observations' freed and zeroed pages, summed. */
  freed: number;
  zeroed: number;
  collapses: Record<string, unknown>[];
}

function run(s: Scenario, design: string, params: Record<string, string | number> = {}, sampleEvery?: number): Run {
  let freed = 0;
  let zeroed = 0;
  const collapses: Record<string, unknown>[] = [];
  const r = replayChecked(s.generate(params), design, registry, {
    source: `scenario:${s.name}`,
    ...(sampleEvery !== undefined ? { sampleEvery } : {}),
    watch: (o) => {
      if (o.type === 'shmem_punch' || o.type === 'shmem_truncate') {
        freed += Number(o['freedPages']);
        zeroed += Number(o['zeroedPages']);
      }
      if (o.type === 'thp_collapse_alloc') collapses.push({ present: o['present'], none: o['none'] });
    },
  });
  return { ...r, freed, zeroed, collapses };
}

/** The failed checks' labels and what the model read. */
function failures(r: CheckedRun): [string, unknown][] {
  return r.expectations.failures.map((f) => [(f as { label?: string }).label ?? f.check, f.actual]);
}

const waste = (r: CheckedRun) => r.metrics.wasteByCause;

describe('seed 001: the workloads', () => {
  it("the thread's scenarios have one workload each, in the thread's order, each naming its source and only preset designs", () => {
    expect(seed001Scenarios.map((s) => s.name)).toEqual([
      'seed001-balloon-punch',
      'seed001-punch-every-subpage',
      'seed001-punch-straddling-range',
      'seed001-punch-whole-thp',
      'seed001-anon-dontneed-every-subpage',
      'seed001-punch-then-khugepaged',
      'seed001-split-hpage-flag',
      'seed001-truncate-mid-thp',
    ]);
    for (const s of seed001Scenarios) {
      expect(s.source, s.name).toMatch(/^seed 001/);
      for (const d of s.designs)
        expect(
          PRESETS.map((p) => p.name),
          `${s.name}: ${d}`,
        ).toContain(d);
    }
  });

  it('every workload, with default and non-default parameters, generates a log the event validator accepts', async () => {
    const variants: [Scenario, Record<string, string | number>][] = [
      ...seed001Scenarios.map((s): [Scenario, Record<string, string | number>] => [s, {}]),
      [balloonPunch, { pages: 2, first: 255 }],
      [punchEverySubpage, { order: 'random', seed: 7 }],
      [splitHpageFlag, { mode: 'punch_hole' }],
    ];
    for (const [s, p] of variants) {
      const log = s.generate(p);
      const report = await validateLogText([JSON.stringify(log.header), ...log.events.map((e) => JSON.stringify(e))], { name: s.name });
      expect(report.errors, `${s.name} ${JSON.stringify(p)}`).toEqual([]);
      expect(report.events).toBe(log.events.length);
    }
  });

  it('parameters are checked: out-of-range pages, unknown orders and unknown names are refused', () => {
    expect(() => balloonPunch.generate({ first: 511, pages: 2 })).toThrow(/parameter pages: expected an integer in 1\.\.1/);
    expect(() => balloonPunch.generate({ first: 0 })).toThrow(/parameter first/);
    expect(() => punchEverySubpage.generate({ order: 'backwards' })).toThrow(/expected one of sequential, random/);
    expect(() => punchWholeThp.generate({ pages: 1 })).toThrow(/unknown parameter "pages"/);
  });

  it('the random order is a permutation of all 512 subpages, fixed by the seed', () => {
    const offsets = (seed: number) =>
      punchEverySubpage.generate({ order: 'random', seed }).events.flatMap((e) => (e.type === 'fallocate' ? [e.offset / PAGE] : []));
    const a = offsets(1);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 512 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 512 }, (_, i) => i));
    expect(offsets(1)).toEqual(a);
    expect(offsets(2)).not.toEqual(a);
  });

  it('every installed preset replays every workload with the invariants holding after every event', () => {
    const installed = PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map(
      (p) => p.name,
    );
    expect(installed).toEqual(expect.arrayContaining(ERAS));
    for (const design of installed) {
      for (const s of seed001Scenarios) expect(run(s, design).violations, `${s.name} under ${design}`).toEqual([]);
      expect(run(punchEverySubpage, design, { order: 'random' }).violations, `random order under ${design}`).toEqual([]);
    }
    // Eight presets now (yangshi-2019 and the two split-guard ones are installed), each walking every invariant after
    // every event of every seed 001 log: the budget is for a loaded 2-core machine.
  }, 300_000);
});

describe('seed001-balloon-punch: QEMU punches base pages out of shmem-THP guest RAM', () => {
  it('from 5.7 the punch splits the THP and frees the punched page: 511 pages stay allocated, no waste, and the guest refaults small pages', () => {
    for (const design of SPLIT_ERAS) {
      const r = run(balloonPunch, design);
      expect(r.violations, design).toEqual([]);
      // 6.15: the punch at 256 leaves [0, 256) one order-8 folio (PTE-mapped: still no PMD).
      expect(failures(r), design).toEqual(splitCheck(design, 'the THP was split: the guest maps small pages', 8));
      // shmem_punch_compound → split_huge_page succeeds (only the mapping, the cache's 512 and our lookup ref),
      // then the now small page 256 is truncated: one page back to the buddy allocator.
      expect(r.outcomes['split_page'], design).toEqual(outcome(1));
      expect(r.outcomes['shmem_punch'], design).toEqual(outcome(1));
      expect([r.freed, r.zeroed], design).toEqual([1, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(511 * PAGE);
      expect(r.metrics.wasteBytes, design).toBe(0);
    }
  });

  it('on 4.8–5.6 the punched page is zeroed and kept: nothing is freed, 4 KiB is truncated-retained and the THP is PMD-mapped again', () => {
    const r = run(balloonPunch, 'linux-4.5');
    expect(r.violations).toEqual([]);
    // shmem_undo_range: "Middle of THP: zero out the page" (clear_highpage), no split: the balloon does not work.
    expect(failures(r)).toEqual([
      ['the punched memory is freed (the balloon works)', PAGE],
      ['the THP was split: the guest maps small pages', 9],
      ['no PMD maps guest RAM any more', THP],
    ]);
    expect(r.outcomes['split_page']).toEqual(outcome(0));
    expect(r.outcomes['shmem_punch']).toEqual(outcome(0, 1, { not_split: 1 }));
    expect([r.freed, r.zeroed]).toEqual([0, 1]);
    expect(r.metrics.allocatedBytes).toBe(THP);
    expect(waste(r)['truncated-retained']).toBe(PAGE);
    expect(r.metrics.wasteBytes).toBe(PAGE);
  });

  it('on 3.13 there is no shmem THP: guest RAM is 512 small pages and the punch frees the one page', () => {
    const r = run(balloonPunch, 'linux-3.13');
    expect(r.violations).toEqual([]);
    expect(failures(r)).toEqual(THP_CHECKS_313);
    expect([r.freed, r.zeroed]).toEqual([1, 0]);
    expect(r.metrics.allocatedBytes).toBe(511 * PAGE);
    expect(r.metrics.wasteBytes).toBe(0);
  });

  it('Yang\'s "truncate 8K length in the middle of THP" (two pages across the middle) frees both pages from 5.7 and keeps both, zeroed, on 4.8–5.6', () => {
    for (const design of SPLIT_ERAS) {
      const r = run(balloonPunch, design, { pages: 2, first: 255 });
      // 6.15: split at 255, then at 257 (past the range): [0, 128) is one order-7 folio.
      expect(failures(r), design).toEqual(splitCheck(design, 'the THP was split: the guest maps small pages', 7));
      // One split for the folio, however many subpages the lookup met: the model holds one lookup reference,
      // as Kirill asked ("Pin the page before pagevec_release()") and as 5.7+ do (find_get_entries stops at one THP).
      expect(r.outcomes['split_page'], design).toEqual(outcome(1));
      expect([r.freed, r.zeroed], design).toEqual([2, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(510 * PAGE);
    }
    const r45 = run(balloonPunch, 'linux-4.5', { pages: 2, first: 255 });
    expect(failures(r45)[0]).toEqual(['the punched memory is freed (the balloon works)', 2 * PAGE]);
    expect([r45.freed, r45.zeroed]).toEqual([0, 2]);
    expect(waste(r45)['truncated-retained']).toBe(2 * PAGE);
  });
});

describe('seed001-punch-every-subpage: "Even though all the subpages are truncated (randomly or sequentially), the THP may still be kept"', () => {
  for (const order of ['sequential', 'random']) {
    it(`on 4.8–5.6, after all 512 subpages are punched one by one (${order}), the whole 2 MiB is still allocated, every page of it truncated-retained`, () => {
      const r = run(punchEverySubpage, 'linux-4.5', { order });
      expect(r.violations).toEqual([]);
      expect(failures(r)).toEqual([['every punched page is freed: nothing of the file stays in memory', THP]]);
      // Each punch is partial (one page of the THP), so each one zeroes and keeps; the last one too,
      // though by then every subpage is zero: only a range covering the whole THP removes it.
      expect(r.outcomes['shmem_punch']).toEqual(outcome(0, 512, { not_split: 512 }));
      expect([r.freed, r.zeroed]).toEqual([0, 512]);
      expect(r.metrics.allocatedBytes).toBe(THP);
      expect(waste(r)['truncated-retained']).toBe(THP);
    });

    it(`from 5.7, punching all 512 subpages one by one (${order}) frees all of them: the first punch splits, each later one frees its small page`, () => {
      for (const design of SPLIT_ERAS) {
        const r = run(punchEverySubpage, design, { order });
        expect(r.violations, design).toEqual([]);
        expect(failures(r), design).toEqual([]);
        expect(r.outcomes['split_page'], design).toEqual(outcome(1));
        expect(r.outcomes['shmem_punch'], design).toEqual(outcome(512));
        expect([r.freed, r.zeroed], design).toEqual([512, 0]);
        expect(r.metrics.allocatedBytes, design).toBe(0);
        expect(r.metrics.peakWasteBytes, design).toBe(0);
      }
      // Three designs x 512 punches, every invariant walked after each: seconds idle, more on a loaded 2-core machine.
    }, 60_000);
  }

  it('on 3.13 each punch frees its small page, and nothing is left', () => {
    const r = run(punchEverySubpage, 'linux-3.13');
    expect(failures(r)).toEqual(THP_CHECKS_313);
    expect([r.freed, r.zeroed]).toEqual([512, 0]);
    expect(r.metrics.allocatedBytes).toBe(0);
  });
});

describe('seed001-punch-straddling-range: "start or end is in the middle of THP"', () => {
  it('on 4.8–5.6 a punch of [1 MiB, 3 MiB) frees nothing: both THPs are partly inside, so 256 + 256 pages are zeroed and kept', () => {
    const r = run(punchStraddlingRange, 'linux-4.5');
    expect(r.violations).toEqual([]);
    expect(failures(r)).toEqual([['the punched 2 MiB are freed', THP]]);
    expect(r.outcomes['shmem_punch']).toEqual(outcome(0, 1, { not_split: 1 }));
    expect([r.freed, r.zeroed]).toEqual([0, 512]);
    expect(r.metrics.allocatedBytes).toBe(2 * THP);
    expect(waste(r)['truncated-retained']).toBe(THP);
  });

  it('from 5.7 both THPs are split and the 512 punched pages freed; the halves outside the range stay, as small pages', () => {
    for (const design of SPLIT_ERAS) {
      const r = run(punchStraddlingRange, design);
      expect(failures(r), design).toEqual([]);
      expect(r.outcomes['split_page'], design).toEqual(outcome(2));
      expect([r.freed, r.zeroed], design).toEqual([512, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(THP);
      expect(r.metrics.wasteBytes, design).toBe(0);
    }
    const r313 = run(punchStraddlingRange, 'linux-3.13');
    expect(failures(r313)).toEqual(THP_CHECKS_313);
    expect(r313.freed).toBe(512);
  });
});

describe('seed001-punch-whole-thp: "unless the range cover the whole THP"', () => {
  it('every era frees an aligned THP wholly inside the range, without a split, and the other THP stays PMD-mapped', () => {
    for (const design of ERAS) {
      const r = run(punchWholeThp, design);
      expect(r.violations, design).toEqual([]);
      // The head lies inside the range and so does the whole folio: truncate_inode_folio, 512 pages at once.
      expect(r.outcomes['split_page'], design).toEqual(outcome(0));
      expect([r.freed, r.zeroed], design).toEqual([512, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(THP);
      expect(r.metrics.wasteBytes, design).toBe(0);
      expect(failures(r), design).toEqual(design === 'linux-3.13' ? [...THP_CHECKS_313, ['the other THP is still PMD-mapped', 0]] : []);
    }
  });
});

describe('seed001-anon-dontneed-every-subpage: "Anonymous THP will not get freed right away too but it will be freed eventually"', () => {
  it('from 4.5, MADV_DONTNEED of one page only splits the PMD: the THP keeps the page (4 KiB unmapped-in-thp), and is freed once all 512 subpages are unmapped', () => {
    for (const design of ['linux-4.5', ...SPLIT_ERAS]) {
      // A sample after every event: the run's peak waste is the largest the samples saw.
      const r = run(anonDontneedEverySubpage, design, {}, 1);
      expect(r.violations, design).toEqual([]);
      expect(failures(r), design).toEqual([]);
      // The partly unmapped THP goes on the deferred split queue; the last unmap drops its last reference,
      // so it is freed whole without ever being split.
      expect(r.outcomes['split_pmd'], design).toEqual(outcome(1));
      expect(r.outcomes['split_page'], design).toEqual(outcome(0));
      // Just before the last MADV_DONTNEED the THP holds 511 unmapped pages (the scenario's expect checks
      // 4 KiB after the first one); the last unmap frees all 512.
      expect(r.metrics.peakWasteBytes, design).toBe(511 * PAGE);
      expect(r.metrics.allocatedBytes, design).toBe(0);
    }
  }, 60_000); // ~520 events x 4 designs, each sampled and invariant-walked: ~2 s idle, more on a loaded 2-core CI.

  it('3.13 splits the compound page at the first MADV_DONTNEED (split_huge_page_pmd), so each page is freed right away', () => {
    const r = run(anonDontneedEverySubpage, 'linux-3.13');
    expect(r.violations).toEqual([]);
    expect(failures(r)).toEqual([['the THP is not freed right away: the unmapped page is still allocated', 0]]);
    expect(r.outcomes['split_page']).toEqual(outcome(1));
    expect(r.metrics.peakWasteBytes).toBe(0);
    expect(r.metrics.allocatedBytes).toBe(0);
  });
});

describe('seed001-punch-then-khugepaged: "doesn\'t do anything to prevent khugepaged from collapsing the range back"', () => {
  it('from 5.7 khugepaged collapses the split range straight back: 511 pages present ≥ 512 − max_ptes_none (511), one zero-filled page allocated for the hole, the balloon undone', () => {
    for (const design of SPLIT_ERAS) {
      const r = run(punchThenKhugepaged, design);
      expect(r.violations, design).toEqual([]);
      expect(failures(r), design).toEqual([]);
      expect(r.freed, design).toBe(1);
      expect(r.outcomes['collapse'], design).toEqual(outcome(1));
      // collapse_file: copy the 511 cached pages, clear_highpage the hole.
      expect(r.collapses, design).toEqual([{ present: 511, none: 1 }]);
      expect(r.metrics.allocatedBytes, design).toBe(THP);
      expect(waste(r)['collapse-bloat'], design).toBe(PAGE);
      expect(waste(r)['truncated-retained'], design).toBe(0);
    }
  });

  it('on 4.8–5.6 there was no split, so there is nothing to collapse: the zeroed page stays (4 KiB truncated-retained) and khugepaged finds a huge page', () => {
    const r = run(punchThenKhugepaged, 'linux-4.5');
    expect(r.violations).toEqual([]);
    expect(failures(r)).toEqual([
      ['the punched page is freed', PAGE],
      ['khugepaged collapses the range back to a THP', 0],
    ]);
    expect(r.collapses).toEqual([]);
    // The model answers with the 6.x code for a PMD-sized folio already in the cache (see the KNOWN DISCREPANCY below).
    expect(r.outcomes['collapse']).toEqual(outcome(0, 1, { SCAN_PTE_MAPPED_HUGEPAGE: 1 }));
    expect(r.metrics.allocatedBytes).toBe(THP);
    expect(waste(r)['truncated-retained']).toBe(PAGE);
  });

  // KNOWN DISCREPANCY (scan result code only; memory outcome agrees). 4.8–5.6 khugepaged_scan_shmem stops at a
  // compound page with `if (PageTransCompound(page)) { result = SCAN_PAGE_COMPOUND; break; }`; the
  // SCAN_PTE_MAPPED_HUGEPAGE answer for a PMD-order folio at the range start is 6.x hpage_collapse_scan_file.
  it.fails('KNOWN DISCREPANCY: on 4.8–5.6 khugepaged reports SCAN_PAGE_COMPOUND for the huge page kept in the cache', () => {
    const r = run(punchThenKhugepaged, 'linux-4.5');
    expect(r.outcomes['collapse']).toEqual(outcome(0, 1, { SCAN_PAGE_COMPOUND: 1 }));
  });

  it('on 3.13 nothing collapses and nothing is even attempted: the punch freed a small page, and khugepaged never scans a shmem VMA', () => {
    const r = run(punchThenKhugepaged, 'linux-3.13');
    expect(r.violations).toEqual([]);
    expect(r.collapses).toEqual([]);
    // 3.13 khugepaged_scan_mm_slot skips every VMA with vm_ops or without an anon_vma
    // ("if (!vma->anon_vma || vma->vm_ops) goto skip"): no attempt is recorded.
    expect(r.outcomes['collapse'] ?? outcome(0)).toEqual(outcome(0));
    expect(r.metrics.allocatedBytes).toBe(511 * PAGE);
    expect(r.metrics.wasteBytes).toBe(0);
  });
});

describe("seed001-split-hpage-flag: the RFC's FALLOC_FL_SPLIT_HPAGE (design E2)", () => {
  it('under its design, yangshi-2019, the punch splits and frees the page only with the flag; without it the page is zeroed and kept', () => {
    expect(splitHpageFlag.designs).toEqual(['yangshi-2019']);
    const flag = run(splitHpageFlag, 'yangshi-2019');
    expect(flag.violations).toEqual([]);
    expect(failures(flag)).toEqual([]);
    expect([flag.freed, flag.zeroed]).toEqual([1, 0]);
    expect(flag.outcomes['split_page']).toEqual(outcome(1));
    const plain = run(splitHpageFlag, 'yangshi-2019', { mode: 'punch_hole' });
    expect(failures(plain)).toEqual([
      ['the punched page is freed', PAGE],
      ['the THP was split', 9],
    ]);
    expect([plain.freed, plain.zeroed]).toEqual([0, 1]);
    expect(waste(plain)['truncated-retained']).toBe(PAGE);
  });

  it('under the installed presets the model takes punch_hole_split as a plain punch: zeroed and kept on 4.8–5.6, split and freed from 5.7', () => {
    for (const mode of ['punch_hole_split', 'punch_hole']) {
      const r45 = run(splitHpageFlag, 'linux-4.5', { mode });
      expect(r45.violations, mode).toEqual([]);
      expect(failures(r45), mode).toEqual([
        ['the punched page is freed', PAGE],
        ['the THP was split', 9],
      ]);
      expect(waste(r45)['truncated-retained'], mode).toBe(PAGE);
      for (const design of SPLIT_ERAS) {
        const r = run(splitHpageFlag, design, { mode });
        expect(failures(r), `${design} ${mode}`).toEqual(splitCheck(design, 'the THP was split', 8));
        expect([r.freed, r.zeroed], `${design} ${mode}`).toEqual([1, 0]);
      }
    }
  });

  // KNOWN DISCREPANCY. FALLOC_FL_SPLIT_HPAGE was never merged: a released kernel refuses the unknown mode bit
  // (vfs_fallocate: mode & ~FALLOC_FL_SUPPORTED_MASK, and shmem_fallocate's own
  // "if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return -EOPNOTSUPP"), so nothing is punched,
  // zeroed or freed. Minimal log: mmap shmem guest-ram 2 MiB (huge=always), write it,
  // fallocate{offset 1 MiB, len 4096, mode punch_hole_split}.
  it.fails('KNOWN DISCREPANCY: a released kernel (4.8–6.15) refuses punch_hole_split with EOPNOTSUPP and leaves the file alone', () => {
    for (const design of ['linux-4.5', ...SPLIT_ERAS]) {
      const r = run(splitHpageFlag, design);
      expect(r.outcomes['shmem_punch'], design).toEqual(outcome(0));
      expect([r.freed, r.zeroed], design).toEqual([0, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(THP);
      expect(r.metrics.wasteBytes, design).toBe(0);
    }
  });
});

describe('seed001-truncate-mid-thp: ftruncate into the middle of a shmem THP', () => {
  it('from 5.7 the truncate splits the THP and the 256 pages beyond EOF are freed at once', () => {
    for (const design of SPLIT_ERAS) {
      const r = run(truncateMidThp, design);
      expect(r.violations, design).toEqual([]);
      expect(failures(r), design).toEqual([]);
      // __split_huge_page drops the tails at or beyond i_size from the cache as it splits.
      expect(r.outcomes['split_page'], design).toEqual(outcome(1));
      expect(r.outcomes['shmem_truncate'], design).toEqual(outcome(1));
      expect([r.freed, r.zeroed], design).toEqual([256, 0]);
      expect(r.metrics.allocatedBytes, design).toBe(MiB);
    }
    const r313 = run(truncateMidThp, 'linux-3.13');
    expect(failures(r313)).toEqual(THP_CHECKS_313);
    expect(r313.freed).toBe(256);
    expect(r313.metrics.allocatedBytes).toBe(MiB);
  });

  it('on 4.8–5.6 the truncate zeroes the 256 pages beyond EOF and keeps them (1 MiB truncated-retained); memory pressure then splits the THP at i_size and frees them', () => {
    const r = run(truncateMidThp, 'linux-4.5');
    expect(r.violations).toEqual([]);
    // shmem_setattr put the inode on the superblock's shrinklist ("Part of the huge page can be beyond i_size:
    // subject to shrink under memory pressure"); shmem_unused_huge_shrink, run by reclaim, split_huge_page()s
    // the THP at i_size and __split_huge_page drops the 256 pages beyond EOF from the page cache.
    expect(failures(r)).toEqual([['the pages beyond EOF are freed by the truncate', MiB]]);
    expect(r.outcomes['shmem_truncate']).toEqual(outcome(0, 1, { not_split: 1 }));
    expect(r.outcomes['split_page']).toEqual(outcome(1));
    expect([r.freed, r.zeroed]).toEqual([0, 256]);
    expect(r.metrics.allocatedBytes).toBe(MiB);
  });
});
