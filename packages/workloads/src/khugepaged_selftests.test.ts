/**
 * The kernel's khugepaged selftests (khugepaged_selftests.ts) replayed end to
 * end: under linux-5.8, linux-6.10 and linux-6.15 every expect — the
 * selftest's own checks — must pass, with the invariants checked after every
 * event; under the older presets the invariants must hold and the checks that
 * fail must be exactly the ones the older kernels fail.
 */
import { PRESETS, type Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CollapseContext, khugepagedSelftestScenarios, selftestContexts } from './khugepaged_selftests.js';
import { findScenario, scenarios } from './registry.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const MODERN = ['linux-5.8', 'linux-6.10', 'linux-6.15'];
/** MADV_COLLAPSE exists from 6.1 on. */
const HAS_MADV_COLLAPSE = ['linux-6.10', 'linux-6.15'];
/** The big one: 512 THPs and ~2600 events; a full invariant walk after each event costs ~16 s per replay. */
const EXTREME = 'selftest-collapse-compound-extreme';

interface Run extends CheckedRun {
  /** khugepaged_scan results other than "already huge" / "nothing here", per pid, in order. */
  scans: string[];
}

function run(name: string, design: string, params: Record<string, string> = {}, invariants: 'every' | 'sample' = 'every', sampleEvery = 1): Run {
  const scans: string[] = [];
  const watch = (o: { type: string; result?: unknown; pid?: unknown }) => {
    if (o.type === 'khugepaged_scan' && o.result !== 'SCAN_PMD_MAPPED' && o.result !== 'SCAN_PMD_NULL') scans.push(`${String(o.pid)}:${String(o.result)}`);
  };
  return { ...replayChecked(findScenario(name)!.generate(params), design, registry, { invariants, sampleEvery, watch, source: `scenario:${name}` }), scans };
}

function contextsOf(name: string): readonly CollapseContext[] {
  return selftestContexts.get(name)!;
}

function designsOf(name: string, ctx: CollapseContext): string[] {
  const declared = findScenario(name)!.designs;
  return (ctx === 'madvise' ? HAS_MADV_COLLAPSE : MODERN).filter((d) => declared.includes(d));
}

/** khugepaged-context collapse outcomes under every 5.8+ design (2 passes: a refused range is refused twice). */
const KHUGEPAGED_OUTCOMES: Record<string, { ok: number; failed: number; reasons: Record<string, number> }> = {
  'selftest-alloc-at-fault': { ok: 0, failed: 0, reasons: {} },
  'selftest-collapse-full': { ok: 4, failed: 0, reasons: {} },
  'selftest-collapse-empty': { ok: 0, failed: 0, reasons: {} },
  'selftest-collapse-single-pte-entry': { ok: 1, failed: 0, reasons: {} },
  'selftest-collapse-max-ptes-none': { ok: 1, failed: 2, reasons: { SCAN_EXCEED_NONE_PTE: 2 } },
  'selftest-collapse-swapin-single-pte': { ok: 1, failed: 0, reasons: {} },
  'selftest-collapse-max-ptes-swap': { ok: 1, failed: 2, reasons: { SCAN_EXCEED_SWAP_PTE: 2 } },
  'selftest-collapse-single-pte-entry-compound': { ok: 1, failed: 0, reasons: {} },
  'selftest-collapse-full-of-compound': { ok: 1, failed: 0, reasons: {} },
  [EXTREME]: { ok: 1, failed: 0, reasons: {} },
  'selftest-collapse-fork': { ok: 1, failed: 0, reasons: {} },
  'selftest-collapse-fork-compound': { ok: 1, failed: 0, reasons: {} },
};

describe('khugepaged selftests: registered', () => {
  it('every anon test of tools/testing/selftests/mm/khugepaged.c has a workload (collapse_max_ptes_shared is S21)', () => {
    for (const n of [
      'selftest-alloc-at-fault',
      'selftest-collapse-full',
      'selftest-collapse-empty',
      'selftest-collapse-single-pte-entry',
      'selftest-collapse-max-ptes-none',
      'selftest-collapse-swapin-single-pte',
      'selftest-collapse-max-ptes-swap',
      'selftest-collapse-single-pte-entry-compound',
      'selftest-collapse-full-of-compound',
      EXTREME,
      'selftest-collapse-fork',
      'selftest-collapse-fork-compound',
      's21-selftest-max-ptes-shared',
      'selftest-madvise-collapse-existing-thps',
    ]) {
      expect(findScenario(n), n).toBeDefined();
    }
    for (const s of khugepagedSelftestScenarios) {
      expect(scenarios, s.name).toContain(s);
      expect(s.source).toBe('tools/testing/selftests/mm/khugepaged.c (T612)');
    }
  });

  it('the context parameter is checked', () => {
    expect(() => findScenario('selftest-collapse-full')!.generate({ context: 'kthread' })).toThrow(/parameter context: expected one of khugepaged, madvise/);
    expect(() => findScenario('selftest-madvise-collapse-existing-thps')!.generate({ context: 'khugepaged' })).toThrow(/expected one of madvise/);
  });
});

describe('khugepaged selftests under 5.8+: every invariant after every event, every selftest check passing', () => {
  for (const s of khugepagedSelftestScenarios) {
    for (const ctx of contextsOf(s.name)) {
      const designs = designsOf(s.name, ctx);
      const title = `${s.name} (${ctx}) under ${designs.join(', ')}`;
      // The main (khugepaged) variant of the big one gets the full walk (~20 s a design); its madvise variant is sampled every 16 events.
      const [inv, every]: ['every' | 'sample', number] = s.name === EXTREME && ctx === 'madvise' ? ['sample', 16] : ['every', 1];
      it(
        `${title}: every expect passes`,
        () => {
          for (const design of designs) {
            const r = run(s.name, design, { context: ctx }, inv, every);
            expect(r.violations, `${s.name} (${ctx}) under ${design}`).toEqual([]);
            expect(r.expectations.failures, `${s.name} (${ctx}) under ${design}`).toEqual([]);
            if (ctx === 'khugepaged' && KHUGEPAGED_OUTCOMES[s.name])
              expect(r.outcomes['collapse'], `${s.name} under ${design}`).toEqual(KHUGEPAGED_OUTCOMES[s.name]);
          }
        },
        s.name === EXTREME ? 180_000 : 20_000,
      );
    }
  }

  it('collapse_max_ptes_shared (s21-selftest-max-ptes-shared) under 5.8+', () => {
    for (const design of MODERN) {
      const r = run('s21-selftest-max-ptes-shared', design);
      expect(r.violations, design).toEqual([]);
      expect(r.expectations.failures, design).toEqual([]);
    }
  });

  it('what the scans saw: refusals for the documented reason, then the collapse', () => {
    for (const design of MODERN) {
      expect(run('selftest-collapse-max-ptes-none', design).scans, design).toEqual(['1:SCAN_EXCEED_NONE_PTE', '1:SCAN_EXCEED_NONE_PTE', '1:SCAN_SUCCEED']);
      expect(run('selftest-collapse-max-ptes-swap', design).scans, design).toEqual(['1:SCAN_EXCEED_SWAP_PTE', '1:SCAN_EXCEED_SWAP_PTE', '1:SCAN_SUCCEED']);
      // The child collapses; the parent's range is neither VM_HUGEPAGE (thp.enabled=madvise) nor scanned.
      expect(run('selftest-collapse-fork', design).scans, design).toEqual(['2:SCAN_SUCCEED']);
    }
  });
});

describe('khugepaged selftests under the older presets', () => {
  /**
   * The checks a 3.13 / 4.5 kernel fails (the selftest targets >= 5.8;
   * reasons in each workload's `expectation`), khugepaged context.
   */
  // MADV_PAGEOUT arrived in 5.4: on 3.13 and 4.5 the advice is EINVAL (the selftest's madvise() would fail and
  // exit), nothing is swapped out, so the swap checks fail and the range collapses as if all pages were present.
  const NO_MADV_PAGEOUT = {
    'selftest-collapse-swapin-single-pte': ['Swapout one page'],
    'selftest-collapse-max-ptes-swap': [
      'Swapout 65 of 512 pages',
      'Maybe collapse with max_ptes_swap exceeded',
      'Swapout 64 of 512 pages',
      'Collapse with max_ptes_swap pages swapped out: sanity check, no huge page before the collapse',
    ],
  };
  const OLD_ERA_FAILURES: Record<string, Record<string, string[]>> = {
    'linux-3.13': {
      ...NO_MADV_PAGEOUT,
      'selftest-collapse-fork': ['Collapse PTE table with single page shared with parent process'],
      // The VMA split in the child splits the compound page itself, under the parent's PMD too; the pages are then shared small pages.
      'selftest-collapse-fork-compound': ['Collapse PTE table full of compound pages in child', 'Check if parent still has huge page'],
    },
    'linux-4.5': {
      ...NO_MADV_PAGEOUT,
      'selftest-collapse-single-pte-entry-compound': ['Collapse PTE table with single PTE mapping compound page'],
      'selftest-collapse-full-of-compound': ['Collapse PTE table full of compound pages'],
      [EXTREME]: ['Collapse PTE table full of different compound pages'],
      'selftest-collapse-fork': ['Collapse PTE table with single page shared with parent process'],
      'selftest-collapse-fork-compound': ['Collapse PTE table full of compound pages in child'],
    },
  };

  for (const era of ['linux-3.13', 'linux-4.5']) {
    it(`${era}: invariants hold; the selftest's checks fail exactly where that kernel differs`, () => {
      for (const s of khugepagedSelftestScenarios) {
        if (!contextsOf(s.name).includes('khugepaged')) continue;
        const r = s.name === EXTREME ? run(s.name, era, {}, 'sample', 64) : run(s.name, era);
        expect(r.violations, `${s.name} under ${era}`).toEqual([]);
        expect(r.failed, `${s.name} under ${era}`).toEqual(OLD_ERA_FAILURES[era]![s.name] ?? []);
      }
    }, 60_000);
  }

  it('4.5 refuses PTE-mapped compound pages with SCAN_PAGE_COMPOUND, 3.13 has none (its partial zap split them) and collapses', () => {
    expect(run('selftest-collapse-single-pte-entry-compound', 'linux-4.5').scans).toEqual(['1:SCAN_PAGE_COMPOUND', '1:SCAN_PAGE_COMPOUND']);
    expect(run('selftest-collapse-single-pte-entry-compound', 'linux-3.13').scans).toEqual(['1:SCAN_SUCCEED']);
    expect(run('selftest-collapse-fork', 'linux-4.5').scans).toEqual(['2:SCAN_PAGE_COUNT', '2:SCAN_PAGE_COUNT']);
    // (3.13's refusal of any swap PTE, SCAN_PTE_NON_PRESENT, cannot be reached by this selftest: it swaps with MADV_PAGEOUT,
    // which 3.13 does not have; kernel-core's khugepaged tests reach it through reclaim.)
    expect(run('selftest-collapse-swapin-single-pte', 'linux-3.13').scans).toEqual(['1:SCAN_SUCCEED']);
    expect(run('selftest-collapse-fork-compound', 'linux-4.5').scans).toEqual(['2:SCAN_PAGE_COMPOUND', '2:SCAN_PAGE_COMPOUND']);
  });

  it('every other installed preset replays every selftest workload, both contexts, with the invariants holding', () => {
    const installed = PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map(
      (p) => p.name,
    );
    const others = installed.filter((n) => !MODERN.includes(n));
    expect(others).toEqual(expect.arrayContaining(['linux-3.13', 'linux-4.5']));
    for (const design of others) {
      for (const s of khugepagedSelftestScenarios) {
        for (const ctx of contextsOf(s.name)) {
          const r = s.name === EXTREME ? run(s.name, design, { context: ctx }, 'sample', 256) : run(s.name, design, { context: ctx });
          expect(r.violations, `${s.name} (${ctx}) under ${design}`).toEqual([]);
        }
      }
    }
  }, 120_000);
});
