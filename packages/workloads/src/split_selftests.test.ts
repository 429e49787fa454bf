/**
 * The kernel's THP split selftests (split_selftests.ts) replayed end to end,
 * the invariants checked after every event. Under the designs where the
 * kernel passes a check, the model must pass it; under the older presets the
 * checks that fail must be exactly the ones the older kernels fail. The
 * model and the kernel agree on every check here (the earlier
 * discrepancies, MADV_PAGEOUT of part of a THP, MADV_PAGEOUT before 5.4 and
 * the 6.12+ zeropage remap on split, were fixed in kernel-core). Should they
 * part again, write the kernel's outcome as an `it.fails` case and pin the
 * model's next to it, marked KNOWN DISCREPANCY.
 */
import { PRESETS, type Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { validateLogText } from '@pagelab/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitFileBackedThp, splitPmdThp, splitPmdZeroPages, splitPteMappedThp, splitRoutes, splitSelftestScenarios } from './split_selftests.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
/** MADV_PAGEOUT exists from 5.4 on; before, madvise() is EINVAL. */
const HAS_MADV_PAGEOUT = ['linux-5.8', 'linux-6.10', 'linux-6.15'];
const NO_MADV_PAGEOUT = ERAS.filter((d) => !HAS_MADV_PAGEOUT.includes(d));
const EINVAL_ONCE = { ok: 0, failed: 1, reasons: { EINVAL: 1 } };
const MiB = 1 << 20;
const PAGE = 4096;
const LEN = 8 * MiB;

type Run = CheckedRun;

function run(name: string, design: string, params: Record<string, string> = {}): Run {
  const s = splitSelftestScenarios.find((x) => x.name === name)!;
  return replayChecked(s.generate(params), design, registry, { source: `scenario:${name}` });
}

/** The failed checks' labels and what the model saw. */
function failures(r: Run): [string, unknown][] {
  return r.expectations.failures.map((f) => [(f as { label?: string }).label ?? f.check, f.actual]);
}

const PMD = splitPmdThp.name;
const PTE = splitPteMappedThp.name;
const ZERO = splitPmdZeroPages.name;
const FILE = splitFileBackedThp.name;
const outcome = (ok: number, failed = 0, reasons: Record<string, number> = {}) => ({ ok, failed, reasons });

describe('split_huge_page selftests: the workloads', () => {
  it("the anon and shmem tests of split_huge_page_test.c have one workload each, in the selftest's order", () => {
    expect(splitSelftestScenarios.map((s) => s.name)).toEqual([
      'selftest-split-pmd-zero-pages',
      'selftest-split-pmd-thp',
      'selftest-split-pte-mapped-thp',
      'selftest-split-file-backed-thp',
    ]);
    for (const s of splitSelftestScenarios) {
      expect(s.source).toBe('tools/testing/selftests/mm/split_huge_page_test.c');
      for (const d of s.designs)
        expect(
          PRESETS.map((p) => p.name),
          `${s.name}: ${d}`,
        ).toContain(d);
    }
    expect(splitRoutes.get(PMD)).toEqual(['mprotect', 'pageout']);
    expect(splitRoutes.get(PTE)).toEqual(['deferred', 'pageout']);
  });

  it('every workload, by every route, generates a log the event validator accepts', async () => {
    for (const s of splitSelftestScenarios) {
      for (const via of splitRoutes.get(s.name) ?? [undefined]) {
        const log = s.generate(via === undefined ? {} : { via });
        const lines = [JSON.stringify(log.header), ...log.events.map((e) => JSON.stringify(e))];
        const report = await validateLogText(lines, { name: s.name });
        expect(report.errors, `${s.name} via=${via}`).toEqual([]);
        expect(report.events).toBe(log.events.length);
      }
    }
  });

  it('the via parameter is checked, and refused where there is one route only', () => {
    expect(() => splitPmdThp.generate({ via: 'debugfs' })).toThrow(/parameter via: expected one of mprotect, pageout, got "debugfs"/);
    expect(() => splitPteMappedThp.generate({ via: 'mprotect' })).toThrow(/expected one of deferred, pageout/);
    expect(() => splitPmdZeroPages.generate({ via: 'deferred' })).toThrow(/unknown parameter "via"/);
  });

  it('every workload, by its default route, passes every check under each of its designs', () => {
    for (const s of splitSelftestScenarios) {
      for (const design of s.designs) {
        const r = run(s.name, design);
        expect(r.violations, `${s.name} under ${design}`).toEqual([]);
        expect(failures(r), `${s.name} under ${design}`).toEqual(s === splitFileBackedThp ? nonUniformPage0(design) : []);
        expect(r.expectations.passed, `${s.name} under ${design}`).toBeGreaterThan(0);
      }
    }
  });

  it('every installed preset replays every workload by every route with the invariants holding after every event', () => {
    const installed = PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map(
      (p) => p.name,
    );
    expect(installed).toEqual(expect.arrayContaining(ERAS));
    for (const design of installed) {
      for (const s of splitSelftestScenarios) {
        for (const via of splitRoutes.get(s.name) ?? [undefined]) {
          expect(run(s.name, design, via === undefined ? {} : { via }).violations, `${s.name} via=${via} under ${design}`).toEqual([]);
        }
      }
    }
  }, 60_000);
});

describe('split_pmd_thp (split_pmd_thp_to_order(0) from 6.10)', () => {
  it('on every kernel, splitting the PMDs of four THPs (mprotect of one page each) keeps the data and drops AnonHugePages to 0; 3.13 splits the compound pages, 4.5+ only the PMDs', () => {
    expect(splitPmdThp.designs).toEqual(ERAS);
    for (const design of ERAS) {
      const r = run(PMD, design, { via: 'mprotect' });
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
      if (design === 'linux-3.13') {
        // split_huge_page_pmd: there is no PMD-only split before 4.5, the compound page goes too.
        expect(r.outcomes['split_page'], design).toEqual(outcome(4));
        expect(r.outcomes['split_pmd'], design).toEqual(outcome(0));
      } else {
        // __split_huge_pmd only: the folios stay order 9 (PTE-mapped), which is why this route does not carry the 6.10+ folio-order check.
        expect(r.outcomes['split_pmd'], design).toEqual(outcome(4));
        expect(r.outcomes['split_page'], design).toEqual(outcome(0));
      }
    }
  });

  it('from 5.4, MADV_PAGEOUT of four THPs and a read back leave order-0 folios holding the same data, and AnonHugePages at 0', () => {
    for (const design of HAS_MADV_PAGEOUT) {
      const r = run(PMD, design, { via: 'pageout' });
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
      expect(r.outcomes['split_page'], design).toEqual(outcome(4));
      expect(r.outcomes['madvise']?.failed ?? 0, design).toBe(0);
    }
  });
});

describe('split_pte_mapped_thp', () => {
  it("from 4.5, a THP PTE-mapped through one mremap'ed page is split through that page once the THP area is unmapped (deferred split), leaving order-0 pages with their data", () => {
    expect(splitPteMappedThp.designs).toEqual(['linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15']);
    for (const design of splitPteMappedThp.designs) {
      const r = run(PTE, design, { via: 'deferred' });
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
      // The mremaps split the four PMDs; the shrinker splits the four THPs.
      expect(r.outcomes['split_pmd'], design).toEqual(outcome(4));
      expect(r.outcomes['split_page'], design).toEqual(outcome(4));
    }
  });

  it('3.13 has no PTE-mapped THP: mremap of one page splits the whole compound page, so the four "missing after mremap" checks fail', () => {
    const r = run(PTE, 'linux-3.13', { via: 'deferred' });
    expect(r.violations).toEqual([]);
    expect(failures(r)).toEqual([
      ['THP 0 missing after mremap (Some THPs are missing during mremap)', 0],
      ['THP 1 missing after mremap (Some THPs are missing during mremap)', 0],
      ['THP 2 missing after mremap (Some THPs are missing during mremap)', 0],
      ['THP 3 missing after mremap (Some THPs are missing during mremap)', 0],
      // With no deferred split queue to drain, the `reclaim` asking for one page swaps out the oldest page on the LRU:
      // the first moved page, not mapped (-1) when the check reads it.
      ['THP 0 not split (Still THPs not split)', -1],
    ]);
    expect(r.outcomes['split_page']).toEqual(outcome(4));
  });

  it('from 5.4, MADV_PAGEOUT of the four remapped pages splits each THP (madvise_cold_or_pageout_pte_range: split_folio) and reclaims only those four pages; the THP area keeps its other 4 × 511 pages resident', () => {
    for (const design of HAS_MADV_PAGEOUT) {
      const r = run(PTE, design, { via: 'pageout' });
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
      // The mremaps split the four PMDs; MADV_PAGEOUT splits the four THPs, nothing else.
      expect(r.outcomes['split_pmd'], design).toEqual(outcome(4));
      expect(r.outcomes['split_page'], design).toEqual(outcome(4));
      expect(r.outcomes['madvise']?.failed ?? 0, design).toBe(0);
    }
  });
});

describe('MADV_PAGEOUT before 5.4', () => {
  const PAGEOUT_CHECKS_PMD = [0, 1, 2, 3].flatMap((i) =>
    [0, 511].map((page) => `Unexpected THP split: THP ${i} page ${page} is not an order-0 folio (6.10+ check_after_split_folio_orders)`),
  );

  // MADV_PAGEOUT came with 5.4 (1a4e58cce84e): on 3.13 and 4.5 madvise() returns -EINVAL and changes nothing, so
  // the pageout routes reach no split there (the selftest itself splits through debugfs; these routes are ours).
  it('on 3.13 and 4.5 madvise(MADV_PAGEOUT) is EINVAL: the THPs stay PMD-mapped, nothing is swapped out, and the split checks fail', () => {
    for (const design of NO_MADV_PAGEOUT) {
      const r = run(PMD, design, { via: 'pageout' });
      expect(r.violations, design).toEqual([]);
      expect(r.failed, design).toEqual([...PAGEOUT_CHECKS_PMD, 'Still AnonHugePages not split']);
      expect(failures(r).find(([l]) => l === 'Still AnonHugePages not split')?.[1], design).toBe(LEN);
      expect(r.outcomes['madvise'], design).toEqual(EINVAL_ONCE);
      expect(r.outcomes['split_page'], design).toEqual(outcome(0));
      expect(r.outcomes['split_pmd'], design).toEqual(outcome(0));
    }
    // 4.5: the mremaps split the PMDs only; with no MADV_PAGEOUT the four THPs stay whole.
    const r45 = run(PTE, 'linux-4.5', { via: 'pageout' });
    expect(r45.violations).toEqual([]);
    expect(failures(r45)).toEqual([0, 1, 2, 3].map((i) => [`THP ${i} not split (Still THPs not split)`, 9]));
    expect(r45.outcomes['madvise']).toEqual(EINVAL_ONCE);
    expect(r45.outcomes['split_page']).toEqual(outcome(0));
    // 3.13: the mremaps already split the compound pages (the selftest fails there), so only those checks fail.
    const r313 = run(PTE, 'linux-3.13', { via: 'pageout' });
    expect(r313.violations).toEqual([]);
    expect(failures(r313)).toEqual([0, 1, 2, 3].map((i) => [`THP ${i} missing after mremap (Some THPs are missing during mremap)`, 0]));
    expect(r313.outcomes['madvise']).toEqual(EINVAL_ONCE);
  });
});

describe('split_pmd_zero_pages (6.12+)', () => {
  const RSS_LABEL = 'Incorrect RssAnon value (every subpage was zero-filled, so the split maps them all to the shared zeropage)';

  // From 6.12 every split of an anon folio remaps the zero-filled subpages to the shared zeropage
  // (remap_page(..., RMP_USE_SHARED_ZEROPAGE) → try_to_map_unused_to_zeropage), and the deferred-split shrinker
  // splits as any other caller does: era parameter splitRemapsZeropage, linux-6.15 only among the presets.
  it('from 6.12, splitting zero-filled THPs maps their zero subpages to the shared zeropage, so RssAnon drops to 0', () => {
    expect(splitPmdZeroPages.designs).toEqual(['linux-6.15']);
    const r = run(ZERO, 'linux-6.15');
    expect(r.violations).toEqual([]);
    expect(r.expectations.failures).toEqual([]);
    // All six checks ran and passed: AnonHugePages and the two RssAnon values before the split, the three after.
    expect(r.expectations.passed).toBe(6);
    expect(r.outcomes['split_page']).toEqual(outcome(4));
  });

  it('before 6.12 the split keeps the zero-filled subpages, so RssAnon stays at 8 MiB - 4 pages', () => {
    const older = ERAS.filter((d) => !splitPmdZeroPages.designs.includes(d));
    expect(older).toEqual(['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10']);
    for (const design of older) {
      const r = run(ZERO, design);
      expect(r.violations, design).toEqual([]);
      // 3.13: MADV_DONTNEED already split the compound pages (no deferred split queue), so the `reclaim`
      // asking for one page finds nothing to split and swaps out one page: one page fewer.
      const rss = design === 'linux-3.13' ? LEN - 5 * PAGE : LEN - 4 * PAGE;
      expect(failures(r), design).toEqual([[RSS_LABEL, rss]]);
      expect(r.outcomes['split_page'], design).toEqual(outcome(4));
    }
  });
});

/**
 * 6.15+ split the punched tmpfs THP non-uniformly (7460b470a131, docs/kernel/mm-facts.md §7 E.6): the hole at 511
 * leaves [0, 256) one order-8 folio, so the selftest-side "page 0 is order 0" check reads 8 there (the selftest's
 * own checks, content and no PMD mapping, still pass).
 */
function nonUniformPage0(design: string): [string, unknown][] {
  return design === 'linux-6.15' ? [['the file THP is split: page 0 is an order-0 folio', 8]] : [];
}

describe('split_file_backed_thp (order 0, huge=always tmpfs)', () => {
  it('from 5.7, a hole punch splits the tmpfs THP; the file reads back intact (the hole as zeroes) from folios no PMD maps, order 0 before 6.15', () => {
    expect(splitFileBackedThp.designs).toEqual(['linux-5.8', 'linux-6.10', 'linux-6.15']);
    for (const design of splitFileBackedThp.designs) {
      const r = run(FILE, design);
      expect(r.violations, design).toEqual([]);
      expect(failures(r), design).toEqual(nonUniformPage0(design));
      expect(r.outcomes['split_page'], design).toEqual(outcome(1));
      expect(r.outcomes['shmem_punch'], design).toEqual(outcome(1));
    }
  });

  it('4.8 to 5.6 zero the punched page and keep the huge page, PMD-mapped again on the next fault; 3.13 has no shmem THP at all', () => {
    const r45 = run(FILE, 'linux-4.5');
    expect(r45.violations).toEqual([]);
    expect(failures(r45)).toEqual([
      ['the file THP is split: page 0 is an order-0 folio', 9],
      ['no PMD maps the file any more', 2 * MiB],
    ]);
    expect(r45.outcomes['split_page']).toEqual(outcome(0));
    expect(r45.outcomes['shmem_punch']).toEqual(outcome(0, 1, { not_split: 1 }));

    const r313 = run(FILE, 'linux-3.13');
    expect(r313.violations).toEqual([]);
    expect(failures(r313)).toEqual([['a file-backed THP is allocated (the selftest takes it for granted on huge=always)', 0]]);
    expect(r313.outcomes['split_page']).toEqual(outcome(0));
  });
});
