/**
 * One contract suite for every axis (the emmett/castore pattern: one suite
 * of contract tests, run against every adapter). An axis states what is its
 * own — how to build a machine with a policy on it, its random streams, a
 * checked replay that throws on the first broken contract, and any fixed
 * scenarios — and `defineAxisSuite` turns that into the axis'
 * `run…Conformance(descriptor, options)`, with the cases every axis owes
 * written once:
 *
 *   - the descriptor is a plug-in of the axis: defaults decode through its
 *     own codec, title and models are given, the policy carries the id and
 *     every method of the axis;
 *   - the checked replay holds on random streams (the axis' contract);
 *   - the axis' own cases;
 *   - identical replays (the axis' digest: ledger totals, outcomes,
 *     observations and whatever the axis adds, such as its answers);
 *   - nothing left once everything is released (every count 0);
 *   - counters changed only through ledger primitives (audit.ts).
 *
 * Options are the same for every axis (AxisSuiteOptions); an axis may take
 * more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import type { Kernel, ModelParams } from '@pagelab/kernel-core';
import { auditLedger } from './audit.js';
import { type AxisDescriptor, descriptorProblems, policyFrom } from './machine.js';
import { type StreamOptions, describeEvent, leftovers, propertyParams, runEvents, teardownEvents, userView } from './streams.js';

/** What every axis' conformance suite accepts. */
export interface AxisSuiteOptions<P> {
  /** Era parameters the policy is meant for (default kernel-core's DEFAULT_PARAMS). */
  params?: Partial<ModelParams>;
  /** Policy parameters on top of the descriptor's defaults. */
  policyParams?: Partial<P>;
  /** fast-check seed (fixed, so failures reproduce; default the axis' own). */
  seed?: number;
  /** Streams per property (default 60; determinism runs a quarter of it, leftovers and the audit a half). */
  numRuns?: number;
  /** Options of the shared stream generator (its generic share). */
  stream?: StreamOptions;
  /** Title suffix, e.g. the variant under test. */
  label?: string;
}

/** What an axis' own cases are given. */
export interface AxisSuiteContext<Pol, O> {
  /** A fresh policy from the descriptor (defaults plus policyParams), through its codec. */
  make(): Pol;
  readonly options: O;
  readonly streams: fc.Arbitrary<WorkloadEvent[]>;
  readonly fc: { seed: number; numRuns: number };
  /** The axis' time budget for one property (ms). */
  readonly budgetMs: number;
}

/** What an axis states; the rest of its suite is defineAxisSuite's. */
export interface AxisSuiteSpec<A extends string, Pol, O extends AxisSuiteOptions<unknown>> {
  readonly axis: A;
  /** Methods every policy of the axis must carry. */
  readonly methods: readonly string[];
  /** Default fast-check seed of the axis. */
  readonly seed: number;
  /**
   * Time budget of each random-stream property (ms): dozens of streams,
   * each replayed with the invariant walk after every event, take seconds on
   * a 2-core machine shared with other work, over vitest's 5 s default.
   */
  readonly budgetMs: number;
  /** The random streams of the axis. */
  streams(o: O): fc.Arbitrary<WorkloadEvent[]>;
  /** A machine with `policy` on the axis and the reference policies elsewhere. */
  kernel(policy: Pol, o: O): Kernel;
  /** A checked replay: throws, naming the event, on the first broken invariant or contract. */
  replay(policy: Pol, events: readonly WorkloadEvent[], o: O): void;
  /** What the checked replay checks, as the title of its property (a sentence without subject). */
  readonly contract: string;
  /** Everything a replay should reproduce exactly (default: axisDigest). */
  digest?(policy: Pol, events: readonly WorkloadEvent[], o: O): string;
  /** What the digest holds, for the determinism title (default "ledger totals, outcomes and observations"). */
  readonly digestHolds?: string;
  /** What is left after releasing everything, every count to be 0 (default: axisLeftovers). */
  leftovers?(policy: Pol, events: readonly WorkloadEvent[], o: O): Record<string, number>;
  /** What "everything" is, for the leftovers title (default "every pin, driver page and process is gone and every file truncated"). */
  readonly released?: string;
  /** The axis' own cases, registered in the suite after the random-stream contract. */
  cases?(c: AxisSuiteContext<Pol, O>): void;
}

/** The ledger totals, outcomes, observations and what every process sees after `events` on `k`. */
export function axisDigest(k: Kernel, events: readonly WorkloadEvent[], extra: (k: Kernel) => Record<string, unknown> = () => ({})): string {
  const obs: unknown[] = [];
  runEvents(k, events, { after: () => void obs.push(...k.drain()) });
  return JSON.stringify({ ledger: k.ledger.totals(), outcomes: k.outcomes.toJSON(), obs, view: userView(k), ...extra(k) });
}

/** Runs `events` on `k`, releases everything (checking invariants), and returns kernel-core's leftovers plus `extra`. */
export function axisLeftovers(k: Kernel, events: readonly WorkloadEvent[], extra: (k: Kernel) => Record<string, number> = () => ({})): Record<string, number> {
  const free0 = k.buddy.freeFrames();
  runEvents(k, events);
  runEvents(k, teardownEvents(k), { check: true });
  return { ...leftovers(k, free0), ...extra(k) };
}

/** The ledger audit (audit.ts) after every event on `k`; the first complaining event and its complaints, or []. */
export function axisAudit(k: Kernel, events: readonly WorkloadEvent[]): string[] {
  const audit = auditLedger(k);
  let bad: string[] = [];
  audit.begin();
  runEvents(k, events, {
    after: (i, e) => {
      const v = audit.end();
      if (v.length && bad.length === 0) bad = [describeEvent(i, e), ...v.slice(0, 10)];
      audit.begin();
    },
  });
  return bad;
}

/** The counts every leftovers record carries (kernel-core's), so an empty record cannot pass for a clean one. */
const LEFTOVER_KEYS = ['freeFrames', 'lruFolios', 'swapSlots', 'deferred'];

/** An axis' conformance suite, from what the axis states. */
export function defineAxisSuite<A extends string, Pol, O extends AxisSuiteOptions<unknown>>(
  spec: AxisSuiteSpec<A, Pol, O>,
): <P>(descriptor: AxisDescriptor<A, Pol, P>, options?: O & AxisSuiteOptions<P>) => void {
  return <P>(descriptor: AxisDescriptor<A, Pol, P>, options: O & AxisSuiteOptions<P> = {} as O & AxisSuiteOptions<P>) => {
    const make = (): Pol => policyFrom(descriptor, options.policyParams ?? {});
    const fcParams = propertyParams(options.seed ?? spec.seed, options.numRuns ?? 60);
    const quarter = { ...fcParams, numRuns: Math.max(5, Math.floor(fcParams.numRuns / 4)) };
    const half = { ...fcParams, numRuns: Math.max(5, Math.floor(fcParams.numRuns / 2)) };
    const streams = spec.streams(options);
    const budget = spec.budgetMs;
    const digest = spec.digest ?? ((p: Pol, events: readonly WorkloadEvent[], o: O) => axisDigest(spec.kernel(p, o), events));
    const left = spec.leftovers ?? ((p: Pol, events: readonly WorkloadEvent[], o: O) => axisLeftovers(spec.kernel(p, o), events));
    const title = `${descriptor.id}${options.label ? ` (${options.label})` : ''} conforms to the ${spec.axis} axis`;

    describe(title, () => {
      it(`is a ${spec.axis} plug-in whose defaults decode and whose policy carries its id`, () => {
        expect(descriptorProblems(descriptor, spec.axis, spec.methods)).toEqual([]);
        expect((make() as { id?: unknown }).id).toBe(descriptor.id);
      });

      it(
        spec.contract,
        () => {
          fc.assert(
            fc.property(streams, (events) => void spec.replay(make(), events, options)),
            fcParams,
          );
        },
        budget,
      );

      spec.cases?.({ make, options, streams, fc: fcParams, budgetMs: budget });

      it(
        `replays a stream identically: the same ${spec.digestHolds ?? 'ledger totals, outcomes and observations'}`,
        () => {
          fc.assert(
            fc.property(streams, (events) => {
              expect(digest(make(), events, options)).toBe(digest(make(), events, options));
            }),
            quarter,
          );
        },
        budget,
      );

      it(
        `frees every frame once ${spec.released ?? 'every pin, driver page and process is gone and every file truncated'}`,
        () => {
          fc.assert(
            fc.property(streams, (events) => {
              const l = left(make(), events, options);
              for (const key of LEFTOVER_KEYS) expect(l, `leftovers lack ${key}`).toHaveProperty(key);
              expect(l).toEqual(Object.fromEntries(Object.keys(l).map((key) => [key, 0])));
            }),
            half,
          );
        },
        budget,
      );

      it(
        'changes refcounts and mapcounts only through ledger primitives, and never for free',
        () => {
          fc.assert(
            fc.property(streams, (events) => {
              expect(axisAudit(spec.kernel(make(), options), events)).toEqual([]);
            }),
            half,
          );
        },
        budget,
      );
    });
  };
}
