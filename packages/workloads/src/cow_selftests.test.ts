/**
 * The kernel's CoW selftest (cow_selftests.ts, from
 * tools/testing/selftests/mm/cow.c) replayed end to end, every test case in
 * every memory run the model can build, under every kernel preset, with the
 * invariants checked after every event.
 *
 * What is asserted is what the kernel does:
 *   - under a workload's `designs` (the eras where the kernel passes the
 *     test) every selftest check passes and no invariant is violated;
 *   - under the other eras exactly the selftest checks the kernel fails
 *     fail, and the only invariant violated is the data loss those checks
 *     report;
 *   - the "layout: ..." expects (ours, not the selftest's) fail only under
 *     linux-3.13, which cannot PTE-map a THP: mprotect, MADV_DONTNEED and
 *     mremap of part of a THP split the compound page itself there, so the
 *     "THP" runs test small pages (the selftest does not notice);
 *   - the swapped-out runs are no runs of the test before 5.4 (3.13, 4.5):
 *     madvise(MADV_PAGEOUT) is EINVAL there, nothing is swapped out and the
 *     selftest skips ("MADV_PAGEOUT did not work"). What is asserted there
 *     is the skip: the precondition fails, madvise records EINVAL, and the
 *     rest of the replay is the run without the swap-out, check for check.
 *
 * Where the model disagrees with the kernel, the kernel's outcome is still
 * the one asserted, in an `it.fails` (it flips to a failure once the model
 * is fixed), and a second test pins what the model does instead: one is
 * left, the swap cache the pre-5.19 reuse check counts (at the end). 5.8's
 * forced CoW break of R/O GUP was one until the model's linux-5.8 gained it
 * (era parameter gupBreaksCow).
 */
import { PRESETS, type Registry, type RunSummary } from '@pagelab/engine';
import { installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { validateLogText } from '@pagelab/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogBuilder, MiB, PAGE, REGION } from './builder.js';
import {
  BACKINGS,
  BACKING_TITLES,
  type Backing,
  PAGEOUT_ERAS,
  SWAPOUT_BACKINGS,
  cowSelftestBackings,
  cowSelftestRunDesigns,
  cowSelftestRunEras,
  cowSelftestScenarios,
} from './cow_selftests.js';
import type { Scenario } from './scenario.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const ERAS = ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'];
/** The eras without MADV_PAGEOUT, where the selftest skips the swapped-out runs. */
const NO_PAGEOUT_ERAS = ['linux-3.13', 'linux-4.5'];
/** Each swapped-out run and the run it swaps out (the same events, less the MADV_PAGEOUT and its precondition). */
const SWAPPED: Record<string, Backing> = {
  'base-page-swap': 'base-page',
  'thp-swap': 'thp',
  'pte-mapped-thp-swap': 'pte-mapped-thp',
  'single-pte-thp-swap': 'single-pte-thp',
};
const PAGEOUT_PRECONDITIONS = ['precondition: MADV_PAGEOUT swapped the page out', 'precondition: MADV_PAGEOUT swapped the range out'];

interface Run {
  /** Labels of the failed expects, in order. */
  failed: string[];
  /** Invariant violations (name: detail). */
  violations: string[];
  outcomes: RunSummary['outcomes'];
}

function scenario(name: string): Scenario {
  const s = cowSelftestScenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

function run(name: string, design: string, backing?: Backing): Run {
  return replay(scenario(name).generate(backing === undefined ? {} : { backing }), design, name);
}

function replay(log: ReturnType<Scenario['generate']>, design: string, name: string): Run {
  const { failed, violations, outcomes } = replayChecked(log, design, registry, { source: `scenario:${name}` });
  return { failed, violations, outcomes };
}

/** The layout expects a kernel cannot meet: 3.13 splits the compound page where later kernels split only the PMD. */
function layoutFailures(design: string, backing: Backing | undefined): string[] {
  if (design !== 'linux-3.13' || backing === undefined) return [];
  if (backing.startsWith('pte-mapped-thp')) return ['layout: the THP is PTE-mapped, still one 2 MiB folio'];
  if (backing.startsWith('single-pte-thp')) return ['layout: a single PTE maps a subpage of the THP'];
  if (backing === 'partial-mremap-thp') return ['layout: the lower half still PTE-maps the THP'];
  return [];
}

/** The selftest check each workload ends in (the one a kernel outside the workload's designs fails). */
const CHECK: Record<string, string> = {
  'cow-cow-in-parent': 'No leak from parent into child',
  'cow-cow-in-parent-mprotect': 'No leak from parent into child',
  'cow-iouring-ro': 'Longterm R/W pin is reliable',
  'cow-iouring-fork': 'Longterm R/W pin is reliable',
  'cow-ro-pin-on-shared': 'Longterm R/O pin is reliable',
  'cow-ro-fast-pin-on-shared': 'Longterm R/O pin is reliable',
  'cow-ro-pin-on-ro-previously-shared': 'Longterm R/O pin is reliable',
  'cow-ro-fast-pin-on-ro-previously-shared': 'Longterm R/O pin is reliable',
  'cow-ro-pin-on-ro-exclusive': 'Longterm R/O pin is reliable',
  'cow-ro-fast-pin-on-ro-exclusive': 'Longterm R/O pin is reliable',
};
const COLLAPSED = 'precondition: MADV_COLLAPSE collapsed the range';

/** What the kernel of an era reports for one workload and run: the expects that fail there. */
function kernelFailures(name: string, design: string, backing: Backing | undefined): string[] {
  const s = scenario(name);
  if (!cowSelftestRunEras(backing).includes(design)) throw new Error(`${name} ${backing ?? ''} is no run of the test under ${design}: the selftest skips it`);
  const layout = layoutFailures(design, backing);
  if (name.startsWith('cow-anon-thp-collapse-')) {
    // Before 6.1 madvise(MADV_COLLAPSE) is EINVAL: the selftest skips ("MADV_COLLAPSE failed"), the data check still passes.
    if (!s.designs.includes(design)) return [COLLAPSED];
    // 6.10/6.15: after fork every PTE of the parent is write-protected, and hpage_collapse_scan_pmd refuses a range
    // without a writable PTE (SCAN_PAGE_RO) for MADV_COLLAPSE too → EINVAL, the selftest skips. (A 2025 proposal,
    // "khugepaged: ... drop the writable check", would let it collapse.)
    if (name === 'cow-anon-thp-collapse-fully-shared') return [COLLAPSED];
    return [];
  }
  return cowSelftestRunDesigns(s, backing).includes(design) ? layout : [...layout, CHECK[name]!];
}

const RO_PIN_RELIABLE = 'Longterm R/O pin is reliable';

function backingsOf(s: Scenario): readonly (Backing | undefined)[] {
  return cowSelftestBackings.get(s.name) ?? [undefined];
}

function describeRun(s: Scenario, backing: Backing | undefined): string {
  return backing === undefined ? s.title : `${s.title} ... ${BACKING_TITLES[backing]}`;
}

/**
 * The check of a replay against what the kernel reports. No invariant
 * breaks either way: where the kernel fails a pin check, the device write
 * the design let go astray is counted as a failed `dma_write` (the test
 * process missed it), which is what the failing expect reads.
 */
function expectKernelOutcome(r: Run, kernel: string[], what: string): void {
  expect(r.failed, what).toEqual(kernel);
  expect(r.violations, what).toEqual([]);
  const dataChecks = kernel.filter((l) => !l.startsWith('layout:') && !l.startsWith('precondition:'));
  const pinChecks = dataChecks.filter((l) => l.includes('pin is reliable'));
  if (pinChecks.length > 0) expect(r.outcomes['dma_write']?.reasons['missed'] ?? 0, what).toBeGreaterThan(0);
  else expect(r.outcomes['dma_write']?.failed ?? 0, what).toBe(0);
}

describe('cow selftest workloads', () => {
  it('encode the anon test cases of tools/testing/selftests/mm/cow.c that the event vocabulary can express', () => {
    expect(cowSelftestScenarios.map((s) => s.name)).toEqual([
      'cow-cow-in-parent',
      'cow-cow-in-parent-mprotect',
      'cow-iouring-ro',
      'cow-iouring-fork',
      'cow-ro-pin-on-shared',
      'cow-ro-fast-pin-on-shared',
      'cow-ro-pin-on-ro-previously-shared',
      'cow-ro-fast-pin-on-ro-previously-shared',
      'cow-ro-pin-on-ro-exclusive',
      'cow-ro-fast-pin-on-ro-exclusive',
      'cow-anon-thp-collapse-unshared',
      'cow-anon-thp-collapse-fully-shared',
    ]);
    for (const s of cowSelftestScenarios) {
      expect(s.source, s.name).toBe('tools/testing/selftests/mm/cow.c (109364fce504)');
      expect(
        s.designs.every((d) => ERAS.includes(d)),
        s.name,
      ).toBe(true);
    }
  });

  it('run the swapped-out layouts only where MADV_PAGEOUT exists (5.4+), every other layout in every preset era', () => {
    expect(SWAPOUT_BACKINGS).toEqual(Object.keys(SWAPPED));
    expect(PAGEOUT_ERAS).toEqual(ERAS.filter((d) => !NO_PAGEOUT_ERAS.includes(d)));
    for (const b of BACKINGS) expect(cowSelftestRunEras(b), b).toEqual(SWAPOUT_BACKINGS.includes(b) ? PAGEOUT_ERAS : ERAS);
    expect(cowSelftestRunEras(undefined)).toEqual(ERAS);
    expect(cowSelftestRunDesigns(scenario('cow-cow-in-parent'), 'thp-swap')).toEqual(PAGEOUT_ERAS);
    expect(cowSelftestRunDesigns(scenario('cow-cow-in-parent'), 'thp')).toEqual(ERAS);
    expect(cowSelftestRunDesigns(scenario('cow-iouring-fork'), 'base-page-swap')).toEqual(['linux-6.10', 'linux-6.15']);
    expect(() => kernelFailures('cow-cow-in-parent', 'linux-4.5', 'base-page-swap')).toThrow(/no run of the test under linux-4.5/);
  });

  it('generate logs the validator accepts, for every run', async () => {
    for (const s of cowSelftestScenarios) {
      for (const backing of backingsOf(s)) {
        const log = s.generate(backing === undefined ? {} : { backing });
        const lines = [JSON.stringify(log.header), ...log.events.map((e) => JSON.stringify(e))];
        const report = await validateLogText(lines, { name: s.name });
        expect(report.errors, `${s.name} ${backing ?? ''}`).toEqual([]);
      }
    }
  });

  it('refuse an unknown backing or parameter', () => {
    expect(() => scenario('cow-cow-in-parent').generate({ backing: 'hugetlb' })).toThrow(/parameter backing: expected one of base-page, base-page-swap, thp/);
    expect(() => scenario('cow-anon-thp-collapse-unshared').generate({ backing: 'thp' })).toThrow(/unknown parameter "backing"/);
  });
});

describe('cow selftest in the eras where the kernel passes: every selftest check passes, every invariant holds after every event', () => {
  for (const s of cowSelftestScenarios) {
    if (s.name === 'cow-anon-thp-collapse-fully-shared') continue;
    for (const backing of backingsOf(s)) {
      const designs = cowSelftestRunDesigns(s, backing);
      if (designs.length === 0) continue;
      it(`${describeRun(s, backing)}: passes under ${designs.join(', ')}`, () => {
        for (const design of designs) {
          const what = `${s.name} ${backing ?? ''} under ${design}`;
          expectKernelOutcome(run(s.name, design, backing), kernelFailures(s.name, design, backing), what);
        }
      });
    }
  }

  it('Basic COW after fork() when collapsing after fork() (fully shared): 6.10 and 6.15 refuse MADV_COLLAPSE of the write-protected range (SCAN_PAGE_RO), so the selftest skips; the child still reads the old data', () => {
    for (const design of ['linux-6.10', 'linux-6.15']) {
      const r = run('cow-anon-thp-collapse-fully-shared', design);
      expectKernelOutcome(r, [COLLAPSED], design);
    }
  });
});

describe('cow selftest in the eras where the kernel fails: exactly the checks that kernel fails', () => {
  // Sources for each failure: the workload's `expectation` and the header of cow_selftests.ts —
  // iouring-fork before 5.9 (70e806e4e645, d042035eaf5f: fork shares the pinned page, the parent's write copies it
  // away from the pin); R/O pin on a shared page in 3.13/4.5 (no CoW break on R/O GUP, CVE-2020-29374's family);
  // MADV_COLLAPSE before 6.1 (EINVAL, the selftest skips). The swapped-out runs count only from 5.4 (below).
  for (const s of cowSelftestScenarios) {
    const older = ERAS.filter((d) => !s.designs.includes(d));
    if (older.length === 0) continue;
    const runs = older.flatMap((design) =>
      backingsOf(s)
        .filter((b) => cowSelftestRunEras(b).includes(design))
        .map((backing) => [design, backing] as const),
    );
    const swapped = runs.some(([, b]) => b !== undefined && SWAPOUT_BACKINGS.includes(b));
    const what = s.name.startsWith('cow-anon-thp-collapse-') ? 'MADV_COLLAPSE (the selftest skips)' : `"${CHECK[s.name]}"`;
    const where =
      backingsOf(s)[0] === undefined
        ? ''
        : swapped
          ? ' in every run (the swapped-out runs from 5.4 on)'
          : ' in every run but the swapped-out ones (no MADV_PAGEOUT)';
    it(`${s.title}: ${older.join(', ')} fail ${what}${where}`, () => {
      expect(runs.length).toBeGreaterThan(0);
      for (const [design, backing] of runs) {
        const label = `${s.name} ${backing ?? ''} under ${design}`;
        expectKernelOutcome(run(s.name, design, backing), kernelFailures(s.name, design, backing), label);
      }
    });
  }
});

describe('cow selftest swapped-out runs before 5.4: madvise(MADV_PAGEOUT) is EINVAL, the selftest skips', () => {
  // 3.13 and 4.5 have no MADV_PAGEOUT (1a4e58cce84e, v5.4): the selftest's madvise() fails, range_is_swapped() is
  // false and the test is skipped ("MADV_PAGEOUT did not work, is swap enabled?"). The replay goes on past the
  // skip; since the advice changed nothing, it is then the run without the swap-out, check for check.
  for (const s of cowSelftestScenarios) {
    if (backingsOf(s)[0] === undefined) continue;
    it(`${s.title}: under ${NO_PAGEOUT_ERAS.join(', ')} every swapped-out run is skipped, and nothing else differs from the run it would have swapped out`, () => {
      for (const design of NO_PAGEOUT_ERAS) {
        for (const backing of SWAPOUT_BACKINGS) {
          const label = `${s.name} ${backing} under ${design}`;
          const r = run(s.name, design, backing);
          const unswapped = run(s.name, design, SWAPPED[backing]);
          const skip = r.failed.filter((l) => PAGEOUT_PRECONDITIONS.includes(l));
          expect(skip, label).toHaveLength(1);
          // The skip comes right after the layout is built: before it, only the layout expects 3.13 cannot meet.
          expect(r.failed.slice(0, r.failed.indexOf(skip[0]!)), label).toEqual(layoutFailures(design, SWAPPED[backing]));
          expect(
            r.failed.filter((l) => l !== skip[0]),
            label,
          ).toEqual(unswapped.failed);
          expect(r.violations, label).toEqual(unswapped.violations);
          expect(r.outcomes['madvise'], label).toEqual({ ok: 0, failed: 1, reasons: { EINVAL: 1 } });
        }
      }
    });
  }
});

describe('cow selftest where the model disagrees with the kernel (known discrepancies, model unchanged)', () => {
  /**
   * The pre-5.19 reuse check and the swap cache. <= 5.8 reuse_swap_page() adds page_swapcount() to the mapcount:
   * when the page was swapped out before fork, the parent's swap-in (the R/O pin's read fault) leaves it in the
   * swap cache, still referenced by the child's swap entry, so the parent's write copies it and the pin is left
   * behind (3.13 and 4.5 have no forced CoW break to save it; 5.8's breaks CoW at the pin, 5.19+ unshares). The
   * model has no swap cache: the parent's swap-in makes a private page mapped once, the write reuses it, the pin
   * keeps seeing the data. cow.c cannot show this on 3.13/4.5 (it swaps out with MADV_PAGEOUT, which they lack,
   * and skips), so the swap-out here is reclaim's. Minimal log (A = 1 GiB):
   *   {spawn 1} {mmap pid 1 A 4096 anon} {touch pid 1 A 4096 write} {reclaim 1} {fork 1→2}
   *   {pin pid 1 A 4096 handle p longterm fast:false write:false}
   *   {touch pid 1 A 4096 write} {unpin p dirty} {expect pid 1 A 4096 contentIntact}
   */
  const swapCacheLog = () => {
    const A = REGION;
    const b = new LogBuilder('swap-cache-reuse', 0, {}, { memory: 64 * MiB, swap: 16 * MiB }, { 'thp.enabled': 'madvise' });
    b.spawn(1).mmapAnon(1, A, PAGE).write(1, A, PAGE);
    b.reclaim(1).expect({ pid: 1, addr: A, len: PAGE, swapBytes: PAGE, label: 'precondition: reclaim swapped the page out' });
    b.fork(1, 2);
    b.raw({ type: 'pin', pid: 1, addr: A, len: PAGE, handle: 'p', longterm: true, fast: false, write: false });
    b.write(1, A, PAGE).unpin('p', true);
    b.expect({ pid: 1, addr: A, len: PAGE, contentIntact: true, label: RO_PIN_RELIABLE });
    return b.build();
  };

  it.fails(
    "a R/O pin of a page swapped out (by reclaim) before fork: under linux-3.13, linux-4.5 the parent's write copies away from the swap-cache page and the pin is lost, as in the kernel",
    () => {
      for (const design of NO_PAGEOUT_ERAS) expect(replay(swapCacheLog(), design, 'swap-cache-reuse').failed, design).toEqual([RO_PIN_RELIABLE]);
    },
  );

  it("a R/O pin of a page swapped out (by reclaim) before fork: the model keeps the pin reliable in every era, because its pre-5.19 CoW reuse ignores the other process's swap reference (no swap cache, no page_swapcount)", () => {
    for (const design of ERAS) {
      const r = replay(swapCacheLog(), design, 'swap-cache-reuse');
      expect(r.failed, design).toEqual([]);
      expect(r.violations, design).toEqual([]);
      // Before 5.19 the parent's write reuses the page it swapped in; from 5.19 the pin's unshare fault copies it first.
      const anonExclusive = design === 'linux-6.10' || design === 'linux-6.15';
      expect(r.outcomes['cow'], design).toEqual({ ok: anonExclusive ? 2 : 1, failed: 0, reasons: {} });
    }
    // The same log without the swap-out loses the pin before 5.19 (the reuse check counts the child's mapping).
    const shared = swapCacheLog();
    shared.events = shared.events.filter((e) => e.type !== 'reclaim' && !(e.type === 'expect' && (e as { label?: string }).label?.startsWith('precondition:')));
    // 5.8 keeps it, as the kernel does: its GUP breaks CoW for reads, so the parent pins (and then writes) its own copy.
    for (const design of ['linux-3.13', 'linux-4.5']) expect(replay(shared, design, 'swap-cache-reuse').failed, design).toEqual([RO_PIN_RELIABLE]);
    expect(replay(shared, 'linux-5.8', 'swap-cache-reuse').failed).toEqual([]);
  });
});

describe('cow selftest under the other presets', () => {
  it('every other installed preset replays every run with no invariant broken but the data loss the checks report', () => {
    const installed = PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map(
      (p) => p.name,
    );
    const others = installed.filter((n) => !ERAS.includes(n));
    expect(others.length).toBeGreaterThan(0);
    for (const design of others) {
      for (const s of cowSelftestScenarios) {
        for (const backing of backingsOf(s)) {
          const r = run(s.name, design, backing);
          for (const v of r.violations) expect(v, `${s.name} ${backing ?? ''} under ${design}`).toMatch(/^content: content lost: pid [12] /);
        }
      }
    }
  }, 180_000); // every cow workload under every other preset: ~30 s alone, over 60 s at load 30
});
