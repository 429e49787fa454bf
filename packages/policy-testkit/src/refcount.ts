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
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { type ModelParams, type PolicyDescriptor, type RefcountPolicy, refHeadRefcount } from '@pagelab/kernel-core';
import { auditLedger } from './audit.js';
import { type MachineOptions, machine, policyFrom } from './machine.js';
import {
  STREAM_MACHINE,
  type StreamOptions,
  diffUserViews,
  describeEvent,
  leftovers,
  runEvents,
  shmemStreamSettings,
  streamArbitrary,
  teardownEvents,
  userView,
  propertyParams,
} from './streams.js';

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

export function runRefcountConformance<P>(descriptor: PolicyDescriptor<'refcount', P>, opts: ConformanceOptions<P> = {}): void {
  const make = () => policyFrom(descriptor, opts.policyParams ?? {});
  // Shmem THPs (v4.8+) only for designs that can PTE-map a compound page.
  const shmemThp = make().pteMappedThp;
  const mopts: MachineOptions = { params: opts.params ?? {}, config: STREAM_MACHINE, settings: shmemStreamSettings(shmemThp) };
  const fcParams = propertyParams(opts.seed ?? CONFORMANCE_SEED, opts.numRuns ?? 60);
  const streams = streamArbitrary({ shmemThp, ...opts.stream });
  // Whether memory_failure loses a page's data depends on whether the design can split the THP around it.
  const comparable = streamArbitrary({ shmemThp, ...opts.stream, memoryFailure: false });
  const title = `${descriptor.id}${opts.label ? ` (${opts.label})` : ''} conforms to the refcount axis`;

  describe(title, () => {
    it('is a refcount plug-in whose defaults decode and whose policy carries its id', () => {
      expect(descriptor.axis).toBe('refcount');
      expect(descriptor.params.is(descriptor.defaults)).toBe(true);
      expect(descriptor.title.length).toBeGreaterThan(0);
      expect(descriptor.models.length).toBeGreaterThan(0);
      expect(make().id).toBe(descriptor.id);
    });

    it("keeps kernel-core's invariants after every event of random streams of every event type", () => {
      fc.assert(
        fc.property(streams, (events) => void runStream(make(), events, { ...mopts, check: true })),
        fcParams,
      );
    });

    it('frees every frame and swap slot (but hwpoisoned ones) once every reference, driver page and process is gone and every file truncated', () => {
      fc.assert(
        fc.property(streams, (events) => {
          const k = machine(make(), mopts);
          const free0 = k.buddy.freeFrames();
          runEvents(k, events);
          runEvents(k, teardownEvents(k), { check: true });
          expect(leftovers(k, free0)).toEqual({ freeFrames: 0, lruFolios: 0, swapSlots: 0, deferred: 0 });
        }),
        fcParams,
      );
    });

    it('replays a stream identically: the same ledger totals, outcomes and observations', () => {
      fc.assert(
        fc.property(streams, (events) => {
          const once = () => {
            const k = machine(make(), mopts);
            const obs: unknown[] = [];
            runEvents(k, events, { after: () => obs.push(...k.drain()) });
            return JSON.stringify({ ledger: k.ledger.totals(), outcomes: k.outcomes.toJSON(), obs, view: userView(k) });
          };
          expect(once()).toBe(once());
        }),
        { ...fcParams, numRuns: Math.max(10, Math.floor(fcParams.numRuns / 3)) },
      );
    });

    it('changes refcounts and mapcounts only through ledger primitives, and never for free', () => {
      fc.assert(
        fc.property(streams, (events) => {
          const k = machine(make(), mopts);
          const audit = auditLedger(k);
          audit.begin();
          runEvents(k, events, {
            after: (i, e) => {
              const bad = audit.end();
              if (bad.length) throw new Error(`after ${describeEvent(i, e)}:\n  ${bad.slice(0, 10).join('\n  ')}`);
              audit.begin();
            },
          });
        }),
        fcParams,
      );
    });

    it('shows every process the same memory as the reference head-refcount policy on the same stream', () => {
      const ref = opts.reference ?? refHeadRefcount;
      fc.assert(
        fc.property(comparable, (events) => {
          expect(compareUserVisible(make(), ref, events, mopts)).toBeNull();
        }),
        fcParams,
      );
    });
  });
}
