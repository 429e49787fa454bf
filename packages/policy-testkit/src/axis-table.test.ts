/**
 * The axis table (kernel-core axes.ts) is the one list of axes: for every
 * entry, kernel-core exports the reference policy it names, this testkit
 * exports the conformance suite it names, and designPolicies puts the
 * axis's policy in the field the model reads. And adding an axis is one
 * entry plus its suite: a throwaway axis added here gets its name, types,
 * factory field, preset choice, known ids and generator values from the
 * entry alone, and its suite from defineAxisSuite.
 */
import fc from 'fast-check';
import * as t from 'io-ts';
import * as core from '@pagelab/kernel-core';
import {
  AXES,
  AXIS_TABLE,
  type AxisName,
  type AxisNameOf,
  type AxisPolicy,
  type AxisPolicyOf,
  type DesignPolicies,
  type DesignPoliciesOf,
  type PolicyCtx,
  axesOf,
  axisEntry,
  designPolicies,
  designPoliciesOf,
  everyAxis,
  namedPolicyIds,
  policyPackageOf,
  referencePolicies,
  site,
} from '@pagelab/kernel-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as testkit from './index.js';
import { type AxisSuiteOptions, type AxisSuiteSpec, defineAxisSuite } from './axis-suite.js';
import { type AxisDescriptor, streamKernel } from './machine.js';
import { describeEvent, runEvents, streamArbitrary } from './streams.js';

describe('the axis table', () => {
  it.each(AXES)('%s: kernel-core exports its reference policy and the testkit its conformance suite', (axis) => {
    const e = AXIS_TABLE[axis];
    expect(typeof (core as Record<string, unknown>)[e.reference]).toBe('object');
    expect(typeof (testkit as Record<string, unknown>)[e.conformance]).toBe('function');
  });

  it('designPolicies makes one policy per axis and puts it in that axis field', () => {
    const asked: AxisName[] = [];
    const byField = referencePolicies as unknown as Record<string, unknown>;
    const built = designPolicies(<A extends AxisName>(axis: A) => {
      asked.push(axis);
      return byField[AXIS_TABLE[axis].field] as AxisPolicy[A];
    });
    expect(asked).toEqual([...AXES]);
    expect(built).toEqual(referencePolicies);
  });

  it('field and short names are unique, so packages and DesignPolicies fields cannot collide', () => {
    const fields = AXES.map((a) => AXIS_TABLE[a].field);
    const shorts = AXES.map((a) => AXIS_TABLE[a].short);
    expect(new Set(fields).size).toBe(AXES.length);
    expect(new Set(shorts).size).toBe(AXES.length);
  });
});

// ------------------------------------------------------------ adding an axis

/** The throwaway axis' interface: one lockless question, asked by its suite (the model has no call site for it). */
interface ThrowawayPolicy {
  readonly id: string;
  /** Is the page `pfn` hot? Read-only: answered from the frames without a locked op. */
  isHot(k: PolicyCtx, pfn: number): boolean;
}

/** The real table plus one entry: all that adding an axis writes, with the suite below. */
const TABLE = {
  ...AXIS_TABLE,
  throwaway: axisEntry<ThrowawayPolicy>()({
    field: 'throwaway',
    short: 'throwaway',
    iface: 'ThrowawayPolicy',
    reference: 'refThrowaway',
    conformance: 'runThrowawayConformance',
    baseline: 'never-hot',
    question: 'is this page hot?',
  }),
} as const;
type Table = typeof TABLE;

const SAMPLE = [0, 1, 511, 512, 4095];
const THROW = site('axis-table.test.throwaway');

/** What the throwaway axis states: its machine, streams and contract (defineAxisSuite writes the rest). */
const throwawaySpec: AxisSuiteSpec<'throwaway', ThrowawayPolicy, AxisSuiteOptions<unknown>> = {
  axis: 'throwaway',
  methods: ['isHot'],
  seed: 20261202,
  // Five short streams, each replayed with the invariant walk after every event: seconds on a loaded 2-core machine.
  budgetMs: 120_000,
  streams: (o) => streamArbitrary({ maxEvents: 12, ...o.stream }),
  kernel: (_policy, o) => streamKernel({}, { params: o.params ?? {} }),
  replay: (policy, events, o) => {
    const k = streamKernel({}, { params: o.params ?? {} });
    runEvents(k, events, {
      check: true,
      after: (i, e) => {
        const ops = k.ledger.lockedOps;
        for (const pfn of SAMPLE) policy.isHot(k, pfn);
        if (k.ledger.lockedOps !== ops)
          throw new Error(`throwaway contract broken after ${describeEvent(i, e)}: isHot took ${k.ledger.lockedOps - ops} locked ops`);
      },
    });
  },
  contract: "answers isHot without a locked op, and the model keeps kernel-core's invariants, after every event of random streams",
};
const runThrowawayConformance = defineAxisSuite(throwawaySpec);

const throwawayDescriptor = (id: string, isHot: ThrowawayPolicy['isHot']): AxisDescriptor<'throwaway', ThrowawayPolicy, Record<string, never>> => ({
  id,
  axis: 'throwaway',
  title: `throwaway policy ${id}`,
  models: 'nothing: the axis exists only in this test',
  params: t.type({}) as unknown as AxisDescriptor<'throwaway', ThrowawayPolicy, Record<string, never>>['params'],
  defaults: {},
  create: () => ({ id, isHot }),
});
const neverHot = throwawayDescriptor('never-hot', () => false);

describe('adding an axis is one table entry plus its suite', () => {
  it('the names, the policy types and the factory derive from the entry', () => {
    expect(axesOf(TABLE)).toEqual([...AXES, 'throwaway']);
    expectTypeOf<AxisNameOf<Table>>().toEqualTypeOf<AxisName | 'throwaway'>();
    expectTypeOf<AxisPolicyOf<Table>['throwaway']>().toEqualTypeOf<ThrowawayPolicy>();
    expectTypeOf<DesignPoliciesOf<Table>['throwaway']>().toEqualTypeOf<ThrowawayPolicy>();
    expectTypeOf<Omit<DesignPoliciesOf<Table>, 'throwaway'>>().toEqualTypeOf<DesignPolicies>();
    const byField = referencePolicies as unknown as Record<string, unknown>;
    const built = designPoliciesOf(
      TABLE,
      <A extends AxisNameOf<Table>>(axis: A) => (axis === 'throwaway' ? neverHot.create({}) : byField[TABLE[axis].field]) as AxisPolicyOf<Table>[A],
    );
    expect(built.throwaway.id).toBe('never-hot');
    const { throwaway: _, ...rest } = built;
    expect(rest).toEqual(referencePolicies);
  });

  it("the presets' choice on an axis they do not name, and the ids a design may name, derive from the entry (engine presets.ts)", () => {
    // What presets.ts does for every preset: its picks, and each other axis at the table's baseline.
    const preset = everyAxis<Table, string>(TABLE, { refcount: 'head-refcount' }, (_axis, e) => e.baseline);
    expect(preset).toEqual({
      refcount: 'head-refcount',
      sharedness: 'precise-mapcount',
      'pinned-migration': 'pins-block',
      'shmem-truncate': 'zero-keep',
      throwaway: 'never-hot',
    });
    // What KNOWN_POLICY_IDS is: per axis, the baseline, then every id a preset names.
    const ids = namedPolicyIds(TABLE, [{ refcount: { id: 'head-refcount' } }, { throwaway: { id: 'sometimes-hot' } }]);
    expect(ids.throwaway).toEqual(['never-hot', 'sometimes-hot']);
    expect(ids.refcount).toEqual(['tail-refcount', 'head-refcount']);
  });

  it("the policy generator's package, interface, reference and suite derive from the entry (tools/policy-gen)", () => {
    expect(policyPackageOf(TABLE, 'throwaway', 'demo')).toEqual({
      pkg: 'policy-throwaway-demo',
      axis: 'throwaway',
      iface: 'ThrowawayPolicy',
      reference: 'refThrowaway',
      conformance: 'runThrowawayConformance',
      question: 'is this page hot?',
    });
    expect(() => policyPackageOf(AXIS_TABLE, 'throwaway', 'demo')).toThrow(/axis "throwaway": expected one of refcount, sharedness/);
  });

  it("the suite written with defineAxisSuite fails a throwaway policy that breaks the axis' contract", () => {
    const locks = throwawayDescriptor('locks', (k) => (k.ledger.spinLock(THROW), k.ledger.spinUnlock(), false));
    const events = fc.sample(streamArbitrary({ maxEvents: 12 }), { seed: 7, numRuns: 1 })[0]!;
    expect(() => throwawaySpec.replay(locks.create({}), events, {})).toThrow(/throwaway contract broken after .*: isHot took \d+ locked ops/);
    expect(() => throwawaySpec.replay(neverHot.create({}), events, {})).not.toThrow();
  });
});

runThrowawayConformance(neverHot, { numRuns: 5 });
