/**
 * Conformance suite of the sharedness axis ("is this folio mapped shared?"),
 * plus the event sequences of docs/kernel/mm-facts.md §8 S1, S2, S4 and S20 that every
 * sharedness package tests its answers on.
 *
 * The suite replays random fork / touch / munmap / madvise(dontneed) / mmap /
 * exit / reclaim streams (fast-check, fixed seed) on a small machine whose
 * other axes are kernel-core's reference policies, and after every event:
 *   - checks the model's invariants;
 *   - recounts every mapping from the page tables and compares the policy's
 *     own bookkeeping with it (what the policy claims to keep);
 *   - asks the policy about every mapped page and checks the answer against
 *     the recount: small folios exact, a large folio mapped at most once is
 *     exclusive, asking is free (no locked op, no state change), plus the
 *     error guarantees the policy claims (docs/kernel/mm-facts.md §5.4: P exact per
 *     page; L no false positives for anon; M no false negatives, exact while
 *     at most two MMs have mapped the folio at once);
 * and checks that a replay of the same stream gives the same answers and
 * the same ledger.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { type PolicyDescriptor, type SharednessPolicy, HPAGE_PMD_NR, ZERO_PFN, applyEvent, ptePfn, ptePresent, testKernel } from '@pagelab/kernel-core';
import { type AxisSuiteOptions, defineAxisSuite } from '../axis-suite.js';
import { STREAM_MACHINE, STREAM_SETTINGS, runEvents, streamArbitrary } from '../streams.js';
import { applySharednessEvents, mappedPfn, sharednessKernel } from './machine.js';
import { type MmHistory, type SharednessConformanceOptions, checkSharedness } from './oracle.js';
import { s1Scenario } from './scenarios.js';
import { replaySharednessStream, sharednessStreams } from './streams.js';

// ---------------------------------------------------------------- suite

/**
 * Registers the sharedness-axis conformance tests (vitest) for a policy
 * descriptor. `opts.claims` and `opts.bookkeeping` say what the policy
 * promises beyond what every sharedness policy must do. Written with
 * defineAxisSuite (axis-suite.ts), which adds the cases every axis owes
 * (plug-in, determinism of the ledger and observations, leftovers, audit).
 */
export function runSharednessConformance<P>(d: PolicyDescriptor<'sharedness', P>, opts: SharednessConformanceOptions = {}): void {
  const machineFor = (policy: SharednessPolicy) => testKernel({ config: STREAM_MACHINE, settings: STREAM_SETTINGS, policies: { sharedness: policy } });
  defineAxisSuite<'sharedness', SharednessPolicy, SharednessConformanceOptions & AxisSuiteOptions<unknown>>({
    axis: 'sharedness',
    methods: ['addLargeMapping', 'removeLargeMapping', 'mappedShared'],
    seed: 0x5eed0003,
    // Dozens of random streams, each asking the policy about every mapped page after every event: seconds on a loaded
    // 2-core machine, over vitest's 5 s default.
    budgetMs: 120_000,
    streams: () => streamArbitrary(),
    kernel: machineFor,
    replay: (policy, events, o) => {
      const k = machineFor(policy);
      const history: MmHistory = new Map();
      runEvents(k, events, {
        check: true,
        after: (i, e) => {
          const bad = checkSharedness(k, policy, o, history);
          if (bad.length > 0) throw new Error(`after event #${i} ${JSON.stringify(e)}:\n  ${bad.join('\n  ')}`);
        },
      });
    },
    contract: 'keeps the invariants, its bookkeeping and its claimed guarantees after every event of random streams of every event type',
    released: 'every process is gone and every file truncated',
    cases: ({ make, options, fc: fcOpts, budgetMs }) => {
      it(
        'keeps the invariants, its bookkeeping and its claimed guarantees after every event of random fork/touch/munmap/dontneed/exit streams',
        () => {
          fc.assert(
            fc.property(sharednessStreams, (ops) => {
              replaySharednessStream(make(), ops, options);
            }),
            fcOpts,
          );
        },
        budgetMs,
      );

      it('answers the S1 state exactly for its small folios and never says "shared" for a folio mapped once', () => {
        const s = s1Scenario();
        const policy = make();
        const k = applySharednessEvents(sharednessKernel(policy), s.events);
        const bad = checkSharedness(k, policy, options, new Map());
        expect(bad).toEqual([]);
        // P's slot 0 holds its own small page, mapped once.
        expect(policy.mappedShared(k, mappedPfn(k, 1, s.range))).toBe(false);
      });

      if (make().removeLargeMappingEach)
        it(
          'removeLargeMappingEach makes the stores and counted operations of as many single-PTE removeLargeMapping calls',
          () => {
            fc.assert(
              fc.property(sharednessStreams, (ops) => {
                const { events } = replaySharednessStream(make(), ops, options);
                const [a, b] = [runRemovals(make(), events, false), runRemovals(make(), events, true)];
                expect(b.runs).toEqual(a.runs);
                expect(b.ledger).toEqual(a.ledger);
                expect(b.fields).toEqual(a.fields);
              }),
              { ...fcOpts, numRuns: Math.max(5, Math.floor(fcOpts.numRuns / 3)) },
            );
          },
          budgetMs,
        );

      it(
        'replays a stream to the same answers and the same ledger (determinism)',
        () => {
          fc.assert(
            fc.property(sharednessStreams, (ops) => {
              const a = replaySharednessStream(make(), ops, options);
              const b = replaySharednessStream(make(), ops, options);
              expect(b.events).toEqual(a.events);
              expect(b.answers).toEqual(a.answers);
              expect(b.ledger).toEqual(a.ledger);
            }),
            { ...fcOpts, numRuns: Math.max(5, Math.floor(fcOpts.numRuns / 3)) },
          );
        },
        budgetMs,
      );
    },
  })(d, { ...opts, numRuns: opts.numRuns ?? 30 });
}

/**
 * Replays `events`, then takes away every run of PTEs that map consecutive
 * pages of one large folio (each process, each table, in order): the
 * per-page mapcounts drop, then the policy hears of the run as one
 * removeLargeMappingEach (`each`) or as one removeLargeMapping(…, 1) per
 * page. Returns the runs, the ledger and every frame field a policy keeps.
 * The page tables are left as they were: only the two ways are compared.
 */
function runRemovals(policy: SharednessPolicy, events: readonly WorkloadEvent[], each: boolean) {
  const k = sharednessKernel(policy);
  events.forEach((e, i) => applyEvent(k, e, i + 1));
  const f = k.frames;
  const runs: number[] = [];
  for (const pid of [...k.mms.keys()].sort((x, y) => x - y)) {
    const mm = k.mms.get(pid)!;
    for (const key of [...mm.pts.keys()].sort((x, y) => x - y)) {
      const pt = mm.pts.get(key)!;
      if (pt.pmd > 0) continue;
      for (let j = 0; j < HPAGE_PMD_NR;) {
        const v = pt.ptes[j]!;
        const head = ptePresent(v) ? f.head(ptePfn(v)) : -1;
        if (head < 0 || ptePfn(v) === ZERO_PFN || f.order(head) < 2) {
          j++;
          continue;
        }
        const pfn = ptePfn(v);
        let n = 1;
        while (j + n < HPAGE_PMD_NR && ptePresent(pt.ptes[j + n]!) && ptePfn(pt.ptes[j + n]!) === pfn + n && f.head(pfn + n) === head) n++;
        for (let i = 0; i < n; i++) f.mapcount[pfn + i] = f.mapcount[pfn + i]! - 1;
        if (each) policy.removeLargeMappingEach!(k, head, mm, n, pfn);
        else for (let i = 0; i < n; i++) policy.removeLargeMapping(k, head, mm, 1, false, pfn + i);
        runs.push(pfn, n);
        j += n;
      }
    }
  }
  const fields = [f.flags, f.mapcount, f.mapping, f.index, f.lruNext, f.lruPrev, f.largeMapcount, f.nrPagesMapped].map((a) => Array.from(a));
  return { runs, ledger: k.ledger.totals(), fields };
}
