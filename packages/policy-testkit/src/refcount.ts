/**
 * The refcount axis' conformance suite. Every refcount policy package runs
 * it from its own test file:
 *
 *   runRefcountConformance(descriptor, { params: ERA_PARAMS['linux-3.13'] });
 *
 * It checks what any correct refcount design must give, whatever it costs:
 * kernel-core's invariants after every event of random streams; identical
 * replays; counters changed only through the ledger; no leaked frame or swap
 * slot once everything is released; and the same memory, as processes see
 * it, as the reference head-refcount policy on the same stream.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { type ModelParams, type PolicyDescriptor, type RefcountPolicy, refHeadRefcount } from '@pagelab/kernel-core';
import { defineAxisSuite } from './axis-suite.js';
import { type MachineOptions, machine, policyFrom } from './machine.js';
import { STREAM_MACHINE, type StreamOptions, diffUserViews, runEvents, shmemStreamSettings, streamArbitrary, userView } from './streams.js';

export interface ConformanceOptions<P> {
  /** Era parameters the policy is meant for (default kernel-core's DEFAULT_PARAMS). */
  params?: Partial<ModelParams>;
  /** Policy parameters on top of the descriptor's defaults. */
  policyParams?: Partial<P>;
  /** fast-check seed (fixed, so failures reproduce). */
  seed?: number;
  /** Streams per property (default 60). */
  numRuns?: number;
  stream?: StreamOptions;
  /** The policy whose user-visible behaviour this one must match (default kernel-core's reference head-refcount). */
  reference?: RefcountPolicy;
  /** Title suffix, e.g. the variant under test. */
  label?: string;
}

export const CONFORMANCE_SEED = 20131217;

/** Runs `events` on a fresh machine with `policy` and returns the machine. */
export function runStream(policy: RefcountPolicy, events: readonly WorkloadEvent[], opts: MachineOptions & { check?: boolean } = {}) {
  const k = machine(policy, opts);
  runEvents(k, events, { check: opts.check ?? false });
  return k;
}

/**
 * The same stream under two refcount policies: null when every process sees
 * the same VMAs and the same content at every mapped page, and neither run
 * has a content mismatch; otherwise the first difference.
 */
export function compareUserVisible(a: RefcountPolicy, b: RefcountPolicy, events: readonly WorkloadEvent[], opts: MachineOptions = {}): string | null {
  const ka = runStream(a, events, { ...opts, check: true });
  const kb = runStream(b, events, { ...opts, check: true });
  const d = diffUserViews(userView(ka), userView(kb));
  return d === null ? null : `${a.id} vs ${b.id}: ${d}`;
}

/**
 * The suite (axis-suite.ts writes the cases every axis owes: plug-in,
 * determinism, leftovers, audit); the axis adds its contract and the
 * comparison with the reference policy of what every process sees.
 */
export function runRefcountConformance<P>(descriptor: PolicyDescriptor<'refcount', P>, opts: ConformanceOptions<P> = {}): void {
  // Shmem THPs (v4.8+) only for designs that can PTE-map a compound page.
  const shmemThp = policyFrom(descriptor, opts.policyParams ?? {}).pteMappedThp;
  const mopts: MachineOptions = { params: opts.params ?? {}, config: STREAM_MACHINE, settings: shmemStreamSettings(shmemThp) };
  defineAxisSuite<'refcount', RefcountPolicy, ConformanceOptions<unknown>>({
    axis: 'refcount',
    methods: ['getPage', 'putPage', 'gupGrab', 'gupRelease', 'splitHugePmd', 'splitHugePage'],
    seed: CONFORMANCE_SEED,
    // Dozens of random streams with the invariant walk after every event: seconds on a loaded 2-core machine.
    budgetMs: 120_000,
    streams: (o) => streamArbitrary({ shmemThp, ...o.stream }),
    kernel: (policy) => machine(policy, mopts),
    replay: (policy, events) => void runStream(policy, events, { ...mopts, check: true }),
    contract: "keeps kernel-core's invariants after every event of random streams of every event type",
    released: 'every reference, driver page and process is gone and every file truncated (but hwpoisoned ones)',
    cases: ({ make, fc: fcParams, budgetMs }) => {
      // Whether memory_failure loses a page's data depends on whether the design can split the THP around it.
      const comparable = streamArbitrary({ shmemThp, ...opts.stream, memoryFailure: false });
      it(
        'shows every process the same memory as the reference head-refcount policy on the same stream',
        () => {
          const ref = opts.reference ?? refHeadRefcount;
          fc.assert(
            fc.property(comparable, (events) => {
              expect(compareUserVisible(make(), ref, events, mopts)).toBeNull();
            }),
            fcParams,
          );
        },
        budgetMs,
      );
    },
  })(descriptor, opts);
}
