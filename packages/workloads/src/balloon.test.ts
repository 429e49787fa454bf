/**
 * qemu-balloon under the designs the seed thread argues about: E1
 * (linux-4.5), E2 (yangshi-2019, with and without FALLOC_FL_SPLIT_HPAGE),
 * mainline split on punch (linux-6.10) and the guarded design (split-guard,
 * split-guard-ptes-none). The numbers are the engine's balloon block, read
 * off the frames (free frames around each request, page-cache entries and
 * page tables afterwards); invariants are walked at samples.
 */
import type { Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { Summary, validateLogText } from '@pagelab/events';
import { isRight } from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { qemuBalloon } from './balloon.js';
import { balloonPunch } from './seed001_shmem.js';
import { findScenario } from './registry.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const PAGE = 4096;
const GUARDS = ['split-guard', 'split-guard-ptes-none'];
const SPLITTING = ['linux-6.10', 'split-guard', 'split-guard-ptes-none'];

/** A 16 MiB guest (8 THPs), 4 rounds of 10 % unless told otherwise. */
function run(design: string, params: Record<string, string | number | boolean> = {}): CheckedRun {
  const r = replayChecked(qemuBalloon.generate({ size: 16, ...params }), design, registry, {
    invariants: 'sample',
    sampleEvery: 400,
    source: 'scenario:qemu-balloon',
  });
  expect(r.violations, design).toEqual([]);
  expect(r.failed, design).toEqual([]);
  expect(r.balloon, design).toBeDefined();
  return r;
}
const rounds = (r: CheckedRun) => r.balloon!.rounds;

describe('qemu-balloon: the workload', () => {
  it('is registered, names its source and only preset designs, and generates logs the validator accepts', async () => {
    expect(findScenario('qemu-balloon')).toBe(qemuBalloon);
    expect(qemuBalloon.source).toMatch(/^seed 001 /);
    const variants: Record<string, string | number | boolean>[] = [
      {},
      { pattern: 'runs' },
      { pattern: 'sequential', pinned: 0.01 },
      { backing: 'anon' },
      { huge: 'within_size', splitFlag: true },
    ];
    for (const p of variants) {
      const log = qemuBalloon.generate({ size: 8, ...p });
      const report = await validateLogText([JSON.stringify(log.header), ...log.events.map((e) => JSON.stringify(e))], { name: 'qemu-balloon' });
      expect(report.errors, JSON.stringify(p)).toEqual([]);
    }
  });

  it('is fixed by its seed, and another seed balloons other pages', () => {
    const offsets = (seed: number) => qemuBalloon.generate({ size: 8, seed }).events.flatMap((e) => (e.type === 'fallocate' ? [e.offset] : []));
    expect(offsets(3)).toEqual(offsets(3));
    expect(offsets(3)).not.toEqual(offsets(4));
    expect(new Set(offsets(3)).size).toBe(offsets(3).length); // no page is given to the balloon twice
  });

  it('refuses bad knobs by name: an odd size, a fraction above 1, the split flag on anonymous RAM, an unknown pattern', () => {
    expect(() => qemuBalloon.generate({ size: 7 })).toThrow(/parameter size: expected a multiple of 2/);
    expect(() => qemuBalloon.generate({ fraction: 1.5 })).toThrow(/parameter fraction: expected a number in 0\.\.1/);
    expect(() => qemuBalloon.generate({ backing: 'anon', splitFlag: true })).toThrow(/parameter splitFlag/);
    expect(() => qemuBalloon.generate({ pattern: 'zigzag' })).toThrow(/expected one of random, sequential, runs/);
    expect(() => qemuBalloon.generate({ pinned: '1%' })).toThrow(/parameter pinned: expected a number/);
  });

  it('pins only pages it never balloons', () => {
    const log = qemuBalloon.generate({ size: 8, pinned: 0.05, fraction: 0.2 });
    const pinned = new Set<number>();
    for (const e of log.events) if (e.type === 'pin') for (let a = e.addr; a < e.addr + e.len; a += PAGE) pinned.add(a - (1 << 30));
    const punched = log.events.flatMap((e) => (e.type === 'fallocate' ? [e.offset] : []));
    expect(pinned.size).toBe(Math.round(0.05 * 2048));
    for (const o of punched) expect(pinned.has(o)).toBe(false);
  });
});

describe('qemu-balloon: what each design frees and refills', () => {
  it('E1 (linux-4.5) frees nothing while the balloon punches 4 KiB pages, random or sequential, and everything once it punches whole 2 MiB runs', () => {
    for (const pattern of ['random', 'sequential']) {
      const r = run('linux-4.5', { pattern, fraction: 0.3, deflate: 0 });
      for (const x of rounds(r)) {
        expect(x.requestedBytes).toBeGreaterThan(0);
        expect(x.freedBytes, pattern).toBe(0);
      }
      expect(r.metrics.wasteByCause['truncated-retained']).toBeGreaterThan(0);
      expect(r.balloon!.splitFailures).toBe(0);
    }
    // sequential at 30 %: the first round alone punches every page of the first two THPs one by one, and still nothing is freed
    const runs = run('linux-4.5', { pattern: 'runs', fraction: 0.125 });
    for (const x of rounds(runs)) expect(x.freedBytes).toBe(x.requestedBytes);
  });

  it('E2 (yangshi-2019) frees a punched page only when the punch asks for FALLOC_FL_SPLIT_HPAGE', () => {
    const without = run('yangshi-2019');
    for (const x of rounds(without)) expect(x.freedBytes).toBe(0);
    const withFlag = run('yangshi-2019', { splitFlag: true });
    for (const x of rounds(withFlag)) expect(x.freedBytes).toBe(x.requestedBytes);
  });

  it('under split-on-punch (linux-6.10) khugepaged collapses the punched ranges back between rounds: refilled > 0 and the memory creeps back', () => {
    const r = run('linux-6.10', { deflate: 0 });
    for (const x of rounds(r)) {
      expect(x.freedBytes).toBe(x.requestedBytes);
      expect(x.refilledBytes).toBeGreaterThan(0);
      expect(x.recollapses).toBeGreaterThan(0);
    }
    // Each round's khugepaged pass refills every hole with zeroes: what the balloon holds in the end is nothing.
    expect(r.balloon!.refilledBytes).toBe(r.balloon!.freedBytes);
    expect(r.balloon!.afterRounds.refilledBytes).toBe(0);
    expect(r.metrics.wasteByCause['collapse-bloat']).toBeGreaterThan(0);
  });

  it('without khugepaged passes split-on-punch keeps what it freed: the refill is the collapse, not the punch', () => {
    const r = run('linux-6.10', { scans: 0, deflate: 0 });
    for (const x of rounds(r)) expect([x.freedBytes, x.refilledBytes]).toEqual([x.requestedBytes, 0]);
  });

  it('both guards keep freed == requested in every round and refill nothing until the guest deflates', () => {
    for (const d of GUARDS) {
      const r = run(d);
      for (const x of rounds(r)) {
        expect(x.freedBytes, d).toBe(x.requestedBytes);
        expect([x.refilledBytes, x.recollapses], d).toEqual([0, 0]);
      }
      expect(r.balloon!.afterRounds.refilledBytes, d).toBe(r.balloon!.freedBytes);
    }
  });

  it('the guards cost huge-page coverage: every ballooned range stays small between rounds, where mainline is huge again', () => {
    const mainline = run('linux-6.10');
    for (const d of GUARDS) {
      const r = run(d);
      for (const [i, x] of rounds(r).entries()) expect(x.guestHugeCoverage, `${d} round ${i + 1}`).toBeLessThan(rounds(mainline)[i]!.guestHugeCoverage);
    }
    for (const x of rounds(mainline)) expect(x.guestHugeCoverage).toBe(1);
  });

  it('after a half deflation, skip-range lets khugepaged refill the holes still in the balloon; max-ptes-none refills only what the guest took back', () => {
    const skip = run('split-guard', { deflate: 0.5 });
    const none = run('split-guard-ptes-none', { deflate: 0.5 });
    const ballooned = skip.balloon!.freedBytes;
    const takenBack = Math.round(0.5 * (ballooned / PAGE)) * PAGE;
    expect(none.balloon!.afterRounds.refilledBytes).toBe(takenBack);
    expect(none.balloon!.afterRounds.recollapses).toBe(0);
    expect(skip.balloon!.afterRounds.refilledBytes).toBeGreaterThan(takenBack);
    expect(skip.balloon!.afterRounds.recollapses).toBeGreaterThan(0);
    // ... and the guard's price in locked ops is its own sites, counted.
    expect(skip.metrics.lockedOpsBySite['shmem_punch.collapse_guard']).toBeGreaterThan(0);
    expect(none.metrics.lockedOpsBySite['shmem_punch.xa_set_mark']).toBeGreaterThan(0);
    expect(none.metrics.lockedOpsBySite['shmem_add_to_page_cache.xa_clear_mark']).toBeGreaterThan(0);
  });

  it('a pinned guest page makes the split of its THP fail under every splitting design, and each failure is counted', () => {
    const designs: [string, Record<string, boolean>][] = [
      ...SPLITTING.map((d): [string, Record<string, boolean>] => [d, {}]),
      ['yangshi-2019', { splitFlag: true }],
    ];
    for (const [d, extra] of designs) {
      const r = run(d, { pinned: 0.002, deflate: 0, ...extra });
      expect(r.balloon!.splitFailures, d).toBeGreaterThan(0);
      expect(r.outcomes['split_page']!.reasons['pinned'], d).toBe(r.balloon!.splitFailures);
      expect(r.balloon!.freedBytes, d).toBeLessThan(r.balloon!.requestedBytes);
      expect(r.metrics.wasteByCause['truncated-retained'], d).toBeGreaterThan(0);
    }
    // E1 never tries.
    expect(run('linux-4.5', { pinned: 0.002 }).balloon!.splitFailures).toBe(0);
  });

  it('with pinned pages, the guards still refill nothing between rounds', () => {
    for (const d of GUARDS) for (const x of rounds(run(d, { pinned: 0.002 }))) expect(x.refilledBytes, d).toBe(0);
  });

  it('huge=within_size backs guest RAM by THPs as always does, and the balloon behaves the same', () => {
    const a = run('linux-6.10');
    const w = run('linux-6.10', { huge: 'within_size' });
    expect(w.balloon).toEqual(a.balloon);
  });

  it('anonymous guest RAM: MADV_DONTNEED of 4 KiB pages frees nothing at once (the THP split is deferred), and khugepaged maps the holes again', () => {
    const r = run('linux-6.10', { backing: 'anon' });
    for (const x of rounds(r)) {
      expect(x.freedBytes).toBe(0);
      expect(x.refilledBytes).toBeGreaterThan(0);
    }
    const runs = run('linux-6.10', { backing: 'anon', pattern: 'runs', fraction: 0.125 });
    for (const x of rounds(runs)) expect(x.freedBytes).toBe(x.requestedBytes);
  });
});

describe('the balloon block in summaries', () => {
  it('is there for any log that punches holes (a seed 001 workload) and decodes as summary.json', () => {
    const r = replayChecked(balloonPunch.generate({}), 'linux-6.10', registry);
    expect(r.balloon).toMatchObject({ requestedBytes: PAGE, freedBytes: PAGE, refilledBytes: 0, recollapses: 0, splitFailures: 0 });
    expect(r.balloon!.rounds).toHaveLength(1);
    const { violations: _v, failed: _f, ...summary } = r;
    const json = { ...JSON.parse(JSON.stringify(summary)), logSha256: '0'.repeat(64) };
    expect(isRight(Summary.decode(json))).toBe(true);
    // The codec reads the block: a coverage above 1 is refused.
    expect(isRight(Summary.decode({ ...json, balloon: { ...json.balloon, guestHugeCoverage: 2 } }))).toBe(false);
  });

  it('is absent for a log that gives nothing back', () => {
    const s = findScenario('seed001-punch-whole-thp')!;
    const log = s.generate({});
    // The same log without its punches: nothing is given back.
    const r = replayChecked({ header: log.header, events: log.events.filter((e) => e.type !== 'fallocate' && e.type !== 'expect') }, 'linux-6.10', registry);
    expect(r.balloon).toBeUndefined();
  });
});
