/**
 * Every named workload, replayed end to end through the engine under every
 * design preset whose policies are installed, with the invariants checked
 * after every event; then the comparisons the issues name, asserted on the
 * summaries a user would read.
 */
import { PRESETS, type Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { findScenario, scenarios } from './registry.js';
import { recordedScenarios } from './recorded.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

/** Presets all of whose policies are installed (later axes' proposals may not be yet). */
function installedPresets(): string[] {
  return PRESETS.filter((p) => Object.entries(p.policies).every(([axis, c]) => registry.get(axis as never, c.id) !== undefined)).map((p) => p.name);
}

function run(
  name: string,
  design: string,
  params: Record<string, number | string | boolean> = {},
  invariants: 'every' | 'sample' | false = 'every',
  sampleEvery = 1,
): CheckedRun {
  return replayChecked(findScenario(name)!.generate(params), design, registry, { invariants, sampleEvery, source: `scenario:${name}` });
}

describe('every named workload under every installed preset', () => {
  it('the presets of the first four axes are all installed', () => {
    expect(installedPresets()).toEqual(expect.arrayContaining(['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15', 'oleg-2013']));
  });

  // selftest-*, cow-*, seed001-*, seed004-*: their expects are what the kernel selftest or the thread's patch wants,
  // which older designs fail; their own test files (khugepaged_selftests, cow_selftests, split_selftests,
  // seed001_shmem, seed004_pinned) replay them per era and assert which checks fail where. qemu-balloon (thousands
  // of punches over 64 MiB) is replayed by balloon.test.ts under the designs it compares, invariants sampled.
  // huge-zero-read-then-write's last check holds only where a write to the huge zero page allocates a THP;
  // huge_zero.test.ts asserts it per era.
  const PER_ERA = ['selftest-', 'cow-', 'seed001-', 'seed004-', 'qemu-balloon', 'huge-zero-'];
  // The recorded real programs (thousands of events each) are replayed by recorded.test.ts with sampled invariants.
  const RECORDED = new Set(recordedScenarios.map((s) => s.name));
  const small = scenarios.filter(
    (s) => s.name !== 'mixed' && s.name !== 'fork-heavy-random' && !PER_ERA.some((p) => s.name.startsWith(p)) && !RECORDED.has(s.name),
  );
  // The pinned-migration workloads at their default sizes cost 3-16 s per preset with the invariants walked after
  // every event (camera-cma-burst: a 256 MiB phone, ~700k observations); at pinned_scenarios.test.ts's test sizes
  // they run the same phases.
  const TEST_SIZE: Record<string, Record<string, number>> = {
    'camera-cma-burst': { memoryMiB: 64, cmaMiB: 16, zswapPages: 2048, burstMiB: 8 },
    'vfio-longterm-pins': { memoryMiB: 64, pinnedMiB: 8 },
    'odirect-under-compaction': { memoryMiB: 64, cmaMiB: 40, poolMiB: 16, ios: 100 },
  };
  for (const s of small) {
    it(`${s.name} replays with every invariant holding and every expect passing`, () => {
      for (const design of installedPresets()) {
        const r = run(s.name, design, TEST_SIZE[s.name]);
        expect(r.violations, `${s.name} under ${design}`).toEqual([]);
        expect(r.expectations.failures, `${s.name} under ${design}`).toEqual([]);
      }
    });
  }

  for (const design of ['linux-3.13', 'linux-4.5', 'linux-6.10', 'linux-6.15']) {
    it(`the generated workloads replay under ${design} with invariants checked every 20 events`, () => {
      expect(run('fork-heavy-random', design, { phases: 4, thps: 4 }, 'sample', 20).violations).toEqual([]);
      expect(run('mixed', design, { events: 2000, memoryGiB: 1 }, 'sample', 20).violations).toEqual([]);
    }, 60_000);
  }
});

describe('refcount axis: what the seed threads argue about', () => {
  it('seed 002: an O_DIRECT 4 KiB write on a THP tail costs 29 locked ops under tail refcounting, 7 under head refcount, 5 with FOLL_PIN', () => {
    const perDio = (design: string) => {
      const base = run('seed002-dio-thp-tail', design, { dios: 1 }, false).metrics.lockedOps;
      return run('seed002-dio-thp-tail', design, { dios: 101 }, false).metrics.lockedOps / 100 - base / 100;
    };
    expect(perDio('linux-3.13')).toBe(29);
    expect(perDio('linux-4.5')).toBe(7);
    expect(perDio('linux-6.10')).toBe(5);
    const a = run('seed002-dio-thp-tail', 'linux-3.13', { dios: 1000 }, false).metrics.lockedOpsBySite;
    expect(a['put_page.tail']).toBe(18000); // three put_page(tail) per dio at 6 locked ops
    expect(a['get_page.tail']).toBe(8000); // two get_page(tail) at 4
  });

  it('seed 000: a THP pinned on a tail fails to split and holds its unmapped half only under head refcounting, until unpin + reclaim', () => {
    for (const design of ['linux-3.13', 'oleg-2013']) {
      const r = run('seed000-split-pinned-tail', design);
      expect(r.outcomes['split_page']!.failed, design).toBe(0);
      expect(r.metrics.peakWasteBytes, design).toBe(0);
    }
    for (const design of ['linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15']) {
      const r = run('seed000-split-pinned-tail', design);
      expect(r.outcomes['split_page']!.reasons, design).toMatchObject({ pinned: 2 });
      expect(r.metrics.peakWasteBytes, design).toBe(1 << 20);
      expect(r.metrics.wasteBytes, design).toBe(0);
    }
  });

  it('S18: the per-tail compound_lock of oleg-2013 nests 514 locks, past lockdep and preempt_count limits', () => {
    const a = run('s18-split-lock-nesting', 'linux-3.13', {}, false);
    const a2 = run('s18-split-lock-nesting', 'oleg-2013', {}, false);
    expect(a.metrics.maxLockDepth).toBe(3);
    expect(a2.metrics.maxLockDepth).toBe(514);
    expect(a2.metrics.nestingViolations.join('\n')).toMatch(/MAX_LOCK_DEPTH 48/);
    expect(a2.metrics.lockedOps - a.metrics.lockedOps).toBe(1022);
  });

  it('S10: fork and a one-byte child write copies 2 MiB before 5.8 and 4 KiB after', () => {
    expect(run('s10-fork-cow-one-byte', 'linux-3.13', {}, false).metrics.pageCopies).toBe(512);
    expect(run('s10-fork-cow-one-byte', 'linux-4.5', {}, false).metrics.pageCopies).toBe(512);
    expect(run('s10-fork-cow-one-byte', 'linux-5.8', {}, false).metrics.pageCopies).toBe(1);
  });
});

describe('sharedness axis: seed 003', () => {
  const MiB = 1 << 20;

  it('S1: only folio_likely_mapped_shared collapses the half-shared THP, duplicating 1 MiB of shared data', () => {
    const precise = run('s1-false-negative', 'linux-5.8');
    const likely = run('s1-false-negative', 'linux-6.10');
    const owner = run('s1-false-negative', 'linux-6.15');
    for (const r of [precise, owner]) {
      expect(r.outcomes['collapse']).toEqual({ ok: 0, failed: 1, reasons: { SCAN_EXCEED_SHARED_PTE: 1 } });
      expect(r.sharedness.falseNegatives).toBe(0);
    }
    expect(likely.outcomes['collapse']).toEqual({ ok: 1, failed: 0, reasons: {} });
    expect(likely.sharedness).toMatchObject({ falseNegatives: 256, collapsesOnlyByPolicy: 1, duplicatedBytes: MiB, zeroFilledBytes: 255 * 4096 });
    // The 256 copies are measured as duplicated-shared waste, the 255 zero-filled pages as collapse-bloat.
    expect(likely.metrics.wasteByCause['duplicated-shared']).toBe(MiB);
    expect(likely.metrics.wasteByCause['collapse-bloat']).toBe(255 * 4096);
    expect(likely.metrics.wasteBytes - precise.metrics.wasteBytes).toBe(511 * 4096);
  });

  it('S2: with the first subpage mapped, all three designs refuse', () => {
    for (const d of ['linux-5.8', 'linux-6.10', 'linux-6.15']) {
      expect(run('s2-first-subpage-mapped', d).outcomes['collapse']!.reasons, d).toEqual({ SCAN_EXCEED_SHARED_PTE: 1 });
    }
  });

  it('S4: owner tracking keeps a stale "maybe shared" with three processes and refuses; the others collapse', () => {
    expect(run('s4-owner-false-positive', 'linux-6.15').outcomes['collapse']!.reasons).toEqual({ SCAN_EXCEED_SHARED_PTE: 1 });
    expect(run('s4-owner-false-positive', 'linux-6.15').sharedness.falsePositives).toBe(2);
    for (const d of ['linux-5.8', 'linux-6.10']) expect(run('s4-owner-false-positive', d).outcomes['collapse']!.ok, d).toBe(1);
  });

  it('S21 (the khugepaged selftest): refused at 257 shared PTEs, collapsed at 256, parent keeps its huge page, in every 5.8+ design', () => {
    for (const d of ['linux-5.8', 'linux-6.10', 'linux-6.15']) {
      const r = run('s21-selftest-max-ptes-shared', d);
      expect(r.outcomes['collapse'], d).toEqual({ ok: 1, failed: 1, reasons: { SCAN_EXCEED_SHARED_PTE: 1 } });
      expect(r.expectations.failed, d).toBe(0);
    }
  });

  it('fork-heavy-random, seed 1: how often the folio-level answers diverge from the per-page rule, counted exactly', () => {
    const precise = run('fork-heavy-random', 'linux-5.8', { seed: 1 }, false, 1000);
    const likely = run('fork-heavy-random', 'linux-6.10', { seed: 1 }, false, 1000);
    const owner = run('fork-heavy-random', 'linux-6.15', { seed: 1 }, false, 1000);
    expect(precise.sharedness).toEqual({
      questions: 34872,
      falseNegatives: 0,
      falsePositives: 0,
      collapsesOnlyByPolicy: 0,
      duplicatedBytes: 0,
      zeroFilledBytes: 0,
    });
    // On this workload the heuristics never miss sharing; they over-count pages of shared folios that
    // one process maps alone (docs/kernel/mm-facts.md §5.4 case B), and refuse two collapses the precise rule allows.
    for (const r of [likely, owner]) {
      expect(r.sharedness).toEqual({
        questions: 34552,
        falseNegatives: 0,
        falsePositives: 435,
        collapsesOnlyByPolicy: 0,
        duplicatedBytes: 0,
        zeroFilledBytes: 0,
      });
      expect(r.outcomes['collapse']!.reasons['SCAN_EXCEED_SHARED_PTE']).toBe(53);
    }
    expect(precise.outcomes['collapse']!.reasons['SCAN_EXCEED_SHARED_PTE']).toBe(51);
  });
});
