/**
 * The pinned-migration axis' conformance suite. Every pinned-migration
 * policy package runs it from its own test file:
 *
 *   runPinnedMigrationConformance(descriptor);
 *
 * The axis decides what compaction and alloc_contig do with a kernel-owned
 * (driver) page they meet: migrate it, reclaim it, or leave it ('busy').
 * Whatever a design answers, it must give:
 *
 *   - a plug-in whose parameters decode through its own codec;
 *   - kernel-core's invariants (which include every process' content,
 *     contentMismatch) after every event of random streams weighted towards
 *     the axis' events (driver_alloc / driver_free movable and not,
 *     alloc_contig / free_contig with and without CMA, compact, pins and
 *     longterm pins, big touches to fill memory), plus the driver pages'
 *     own state: every page of a driver handle is a live driver frame owned
 *     by that handle and still holds the data it was given, no lock is left
 *     held;
 *   - the contract of each answer, checked on every answer the model gets:
 *       'migrated'  the frame went back to the allocator, and the owner's
 *                   handle holds another frame (same mobility) with the
 *                   page's content;
 *       'reclaimed' the frame went back to the allocator and the handle no
 *                   longer holds it;
 *       'busy'      the page stayed where it was, in the handle, with its
 *                   content, and no contiguous allocation of that event
 *                   took its frame;
 *     and onDriverPin leaves the page's content and owner alone and no lock
 *     held;
 *   - identical replays (ledger totals, outcomes, observations, answers);
 *   - counters changed only through ledger primitives (audit.ts);
 *   - nothing left once every handle, process and file is released.
 *
 * A coverage test makes sure the streams really ask the policy, and a fixed
 * scenario puts a movable driver page in the way of a CMA allocation and an
 * unmovable one in the way of compaction.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import {
  type Kernel,
  type MachineConfig,
  type ModelParams,
  PG,
  type PinnedMigrationPolicy,
  type PolicyDescriptor,
  type Settings,
  driverPageHandle,
} from '@pagelab/kernel-core';
import { type AxisSuiteOptions, axisAudit, axisLeftovers, defineAxisSuite } from './axis-suite.js';
import { descriptorProblems, policyFrom, streamKernel, watchedKernel } from './machine.js';
import { type Intent, STREAM_MACHINE, type StreamOptions, describeEvent, intentArbitrary, runEvents, toEvents, userView } from './streams.js';

export const PINNED_MIGRATION_SEED = 20130815;
/**
 * Time budget of each random-stream property: 60 streams of up to 40 events,
 * each replayed with the invariant walk after every event, take 2-8 s on a
 * 2-core machine shared with other work, over vitest's 5 s default.
 */
const STREAM_BUDGET_MS = 120_000;

/** The options every axis' suite takes (axis-suite.ts). */
export type PinnedMigrationConformanceOptions<P> = AxisSuiteOptions<P>;

// ------------------------------------------------------------- plumbing

/** Instantiates a descriptor's policy from its defaults plus overrides, through its own codec. */
export function pinnedMigrationPolicyFrom<P>(d: PolicyDescriptor<'pinned-migration', P>, overrides: Partial<P> = {}): PinnedMigrationPolicy {
  return policyFrom(d, overrides);
}

/** What is wrong with a pinned-migration descriptor (empty: nothing). */
export function pinnedMigrationDescriptorProblems<P>(d: PolicyDescriptor<'pinned-migration', P>): string[] {
  return descriptorProblems(d, 'pinned-migration', ['migrateDriverPage', 'onDriverPin']);
}

export interface PinnedMigrationMachineOptions {
  params?: Partial<ModelParams>;
  config?: Partial<MachineConfig>;
  settings?: Partial<Settings>;
}

/** A Kernel on STREAM_MACHINE with `policy` on the pinned-migration axis and kernel-core's reference policies elsewhere. */
export function pinnedMigrationKernel(policy: PinnedMigrationPolicy, opts: PinnedMigrationMachineOptions = {}): Kernel {
  return streamKernel({ pinnedMigration: policy }, opts);
}

// ------------------------------------------------------------- streams

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/**
 * The axis' own intents: driver pages of every size and mobility (up to
 * 1024 pages, so they land in the CMA area and spill into movable
 * pageblocks), contiguous allocations up to the whole CMA area, compaction
 * of every order, longterm and plain pins, and big writes that fill memory.
 */
export function pinnedMigrationFocusIntents(): fc.Arbitrary<Intent> {
  const node = fc.option(fc.integer({ min: 0, max: STREAM_MACHINE.nodes - 1 }), { nil: null });
  const page = fc.oneof(fc.constantFrom(0, 512, 1024, 1536), fc.integer({ min: 0, max: 2047 }));
  const c = <T extends string>(v: T) => fc.constant(v);
  return fc.oneof(
    w(4, fc.record({ op: c('driver_alloc' as const), pages: fc.constantFrom(1, 8, 64, 512, 1024), movable: fc.boolean(), node })),
    w(2, fc.record({ op: c('driver_free' as const), h: fc.nat(4) })),
    // CMA ranges sit on node 0; the big ones reach the upper half of the area, where node 0's movable pages go first.
    w(3, fc.record({ op: c('alloc_contig' as const), pages: fc.constantFrom(512, 1024, 2048, 2048), cma: fc.constant(true), node: fc.constantFrom(0, null) })),
    w(2, fc.record({ op: c('alloc_contig' as const), pages: fc.constantFrom(1, 16, 512, 1024, 2048), cma: fc.constant(false), node })),
    w(2, fc.record({ op: c('free_contig' as const), h: fc.nat(4) })),
    w(3, fc.record({ op: c('compact' as const), order: fc.constantFrom(0, 3, 9, 10), node })),
    w(
      2,
      fc.record({
        op: c('pin' as const),
        p: fc.nat(3),
        page,
        n: fc.constantFrom(1, 2, 4),
        fast: fc.boolean(),
        get: fc.boolean(),
        longterm: fc.constantFrom(true, true, false),
        roWrite: fc.constant(false),
      }),
    ),
    w(1, fc.record({ op: c('unpin' as const), h: fc.nat(8), dirty: fc.constant(false) })),
    w(3, fc.record({ op: c('touch' as const), p: fc.nat(3), page, n: fc.constantFrom(16, 512, 1024), write: fc.constant(true), value: fc.constant(0) })),
  );
}

/**
 * What loads the machine at the start of a stream (one to three of them):
 * big driver allocations of either mobility, on either node, and big writes
 * by the first process. Without them compaction and contiguous allocation
 * mostly find free memory at once and never meet a driver page.
 */
export function pinnedMigrationLoadIntents(): fc.Arbitrary<Intent> {
  const c = <T extends string>(v: T) => fc.constant(v);
  return fc.oneof(
    // Movable pages on node 0 go half to the CMA area (free-list balancing), where CMA allocations meet them.
    w(3, fc.record({ op: c('driver_alloc' as const), pages: fc.constantFrom(64, 512, 1024), movable: fc.constant(true), node: fc.constantFrom(0, null) })),
    w(2, fc.record({ op: c('driver_alloc' as const), pages: fc.constantFrom(256, 512, 1024), movable: fc.boolean(), node: fc.constantFrom(0, 1, null) })),
    w(
      1,
      fc.record({
        op: c('touch' as const),
        p: fc.constant(0),
        page: fc.constantFrom(0, 512),
        n: fc.constantFrom(512, 1024),
        write: fc.constant(true),
        value: fc.constant(0),
      }),
    ),
  );
}

/**
 * Random valid streams: a load prefix, then the shared generator's intents
 * (any event type) mixed 2:3 with the axis' own.
 */
export function pinnedMigrationStreams(o: StreamOptions = {}): fc.Arbitrary<WorkloadEvent[]> {
  const mix = fc.oneof(w(2, intentArbitrary(o)), w(3, pinnedMigrationFocusIntents()));
  return fc
    .tuple(
      fc.array(pinnedMigrationLoadIntents(), { minLength: 1, maxLength: 3 }),
      fc.array(mix, { minLength: Math.min(10, o.maxEvents ?? 40), maxLength: o.maxEvents ?? 40, size: 'max' }),
    )
    .map(([load, rest]) => toEvents([...load, ...rest], o));
}

// --------------------------------------------------------- the watcher

export type DriverAnswerKind = 'migrated' | 'reclaimed' | 'busy';

/** One question the model asked the policy, and what it answered. */
export interface DriverAnswer {
  /** index of the event in the stream */
  event: number;
  pfn: number;
  handle: string;
  movable: boolean;
  content: number;
  answer: DriverAnswerKind;
}

/**
 * Wraps a pinned-migration policy to check, on one Kernel, the contract of
 * every answer the model gets and the state of every driver page after
 * every event. Build it first, put `watch.policy` on the kernel, then
 * `attach(k)`; call `afterEvent` after each event (it returns the
 * violations of that event, as sentences).
 */
export class PinnedMigrationWatch {
  readonly policy: PinnedMigrationPolicy;
  readonly answers: DriverAnswer[] = [];
  private k: Kernel | null = null;
  private event = 0;
  private pending: DriverAnswer | null = null;
  private violations: string[] = [];
  /** frames returned to the allocator since the pending answer */
  private freed = new Set<number>();
  /** pfns answered 'busy' during the current event */
  private busy = new Set<number>();
  /** handle -> content tokens its pages held after the last event */
  private data = new Map<string, number[]>();

  constructor(readonly inner: PinnedMigrationPolicy) {
    const self = this;
    this.policy = {
      id: inner.id,
      migrateDriverPage(k, pfn) {
        self.resolve();
        const handle = driverPageHandle(k, pfn);
        const before = { pfn, handle: handle ?? '?', movable: k.frames.test(pfn, PG.movable_ops), content: k.frames.content[pfn]! };
        self.freed.clear();
        const answer = inner.migrateDriverPage(k, pfn);
        if (answer !== 'migrated' && answer !== 'reclaimed' && answer !== 'busy')
          self.violations.push(`answered ${JSON.stringify(answer)} for driver page ${pfn}`);
        if (handle === undefined) self.violations.push(`the model asked about frame ${pfn}, which no driver handle owns`);
        const a: DriverAnswer = { event: self.event, ...before, answer };
        self.answers.push(a);
        self.pending = handle === undefined ? null : a;
        return answer;
      },
      onDriverPin(k, pfn, pinned) {
        const f = k.frames;
        const l = watchedKernel(k).ledger;
        const content = f.content[pfn]!,
          owner = driverPageHandle(k, pfn),
          depth = l.currentDepth;
        inner.onDriverPin(k, pfn, pinned);
        const what = `onDriverPin(${pfn}, ${pinned})`;
        if (f.content[pfn] !== content) self.violations.push(`${what} changed the page's content ${content} -> ${f.content[pfn]}`);
        if (driverPageHandle(k, pfn) !== owner) self.violations.push(`${what} changed the page's owner`);
        if (!f.test(pfn, PG.driver)) self.violations.push(`${what} cleared PG_driver`);
        if (l.currentDepth !== depth) self.violations.push(`${what} left ${l.currentDepth - depth} locks held`);
      },
    };
  }

  /** Hooks the kernel's allocator (frees) and takes the first snapshot. */
  attach(k: Kernel): this {
    this.k = k;
    const b = k.buddy;
    const free = b.freePages.bind(b);
    b.freePages = (pfn: number, order: number) => {
      for (let i = 0; i < 1 << order; i++) this.freed.add(pfn + i);
      free(pfn, order);
    };
    this.snapshot();
    return this;
  }

  /** The checks of the answer still pending: the model has carried it out by now. */
  private resolve(): void {
    const a = this.pending;
    const k = this.k;
    this.pending = null;
    if (!a || !k) return;
    const f = k.frames;
    const d = k.drivers.get(a.handle);
    const what = `driver page ${a.pfn} of ${a.handle} (${a.movable ? 'movable' : 'unmovable'}), answered '${a.answer}'`;
    if (!d) {
      this.violations.push(`${what}: its handle is gone`);
      return;
    }
    const held = d.pfns.includes(a.pfn);
    if (a.answer === 'busy') {
      this.busy.add(a.pfn);
      if (!held) this.violations.push(`${what}: the handle no longer holds it`);
      if (this.freed.has(a.pfn)) this.violations.push(`${what}: its frame went back to the allocator`);
      if (!f.test(a.pfn, PG.driver) || driverPageHandle(k, a.pfn) !== a.handle) this.violations.push(`${what}: it is no longer a driver page of its owner`);
      if (f.content[a.pfn] !== a.content) this.violations.push(`${what}: its content changed ${a.content} -> ${f.content[a.pfn]}`);
      return;
    }
    if (!this.freed.has(a.pfn)) this.violations.push(`${what}: its frame did not go back to the allocator`);
    if (held) this.violations.push(`${what}: the handle still holds frame ${a.pfn}`);
    if (driverPageHandle(k, a.pfn) === a.handle) this.violations.push(`${what}: frame ${a.pfn} is still owned by ${a.handle}`);
    if (a.answer === 'migrated') {
      const to = Array.from(d.pfns).find((p) => p !== a.pfn && f.content[p] === a.content);
      if (to === undefined) this.violations.push(`${what}: no page of the handle holds its content ${a.content}`);
      else {
        if (!f.test(to, PG.driver) || driverPageHandle(k, to) !== a.handle)
          this.violations.push(`${what}: its new frame ${to} is not a driver page of ${a.handle}`);
        if (f.test(to, PG.movable_ops) !== a.movable) this.violations.push(`${what}: its new frame ${to} changed mobility`);
      }
    }
  }

  /** Content tokens of every driver and contiguous handle, now. */
  private snapshot(): void {
    const k = this.k!;
    this.data.clear();
    for (const [h, d] of k.drivers)
      this.data.set(
        h,
        Array.from(d.pfns, (p) => k.frames.content[p]!),
      );
  }

  /** Checks after event `i` (`e`); returns its violations (empty: none) and starts the next event. */
  afterEvent(i: number, e: WorkloadEvent): string[] {
    const k = this.k!;
    const f = k.frames;
    this.resolve();
    const out = this.violations;
    // A busy page blocks every contiguous range over it.
    if (e.type === 'alloc_contig' && e.handle !== undefined) {
      const c = k.drivers.get(e.handle);
      if (c) for (const p of c.pfns) if (this.busy.has(p)) out.push(`alloc_contig ${e.handle} took frame ${p}, a driver page the policy answered 'busy' for`);
    }
    for (const [h, d] of k.drivers) {
      const seen = new Set<number>();
      for (const p of d.pfns) {
        if (seen.has(p)) out.push(`${h} holds frame ${p} twice`);
        seen.add(p);
        if (!f.test(p, PG.driver) || f.isFree(p) || f.refcount[p]! < 1)
          out.push(`${h} holds frame ${p}, which is not a live driver page (flags 0x${f.flags[p]!.toString(16)}, refcount ${f.refcount[p]})`);
        else if (driverPageHandle(k, p) !== h) out.push(`${h} holds frame ${p}, whose owner is ${driverPageHandle(k, p) ?? 'nobody'}`);
      }
      // The data a driver gave its pages survives whatever compaction did to them (a reclaim may add pages).
      const now = new Set(Array.from(d.pfns, (p) => f.content[p]!));
      for (const tok of this.data.get(h) ?? []) if (!now.has(tok)) out.push(`${h} lost its data ${tok}`);
    }
    if (k.ledger.currentDepth !== 0) out.push(`${k.ledger.currentDepth} locks still held after the event`);
    this.violations = [];
    this.busy.clear();
    this.event = i + 1;
    this.snapshot();
    return out;
  }
}

/** One checked replay: the machine, the watcher, and the first violation thrown (naming the event). */
export function replayPinnedMigration(
  policy: PinnedMigrationPolicy,
  events: readonly WorkloadEvent[],
  opts: PinnedMigrationMachineOptions = {},
): { k: Kernel; watch: PinnedMigrationWatch } {
  const watch = new PinnedMigrationWatch(policy);
  const k = pinnedMigrationKernel(watch.policy, opts);
  watch.attach(k);
  runEvents(k, events, {
    check: true,
    after: (i, e) => {
      const bad = watch.afterEvent(i, e);
      if (bad.length) throw new Error(`pinned-migration contract broken after ${describeEvent(i, e)}:\n  ${bad.slice(0, 10).join('\n  ')}`);
    },
  });
  return { k, watch };
}

/** Everything a replay should reproduce exactly. */
export function pinnedMigrationDigest(policy: PinnedMigrationPolicy, events: readonly WorkloadEvent[], opts: PinnedMigrationMachineOptions = {}): string {
  const watch = new PinnedMigrationWatch(policy);
  const k = pinnedMigrationKernel(watch.policy, opts);
  watch.attach(k);
  const obs: unknown[] = [];
  runEvents(k, events, { after: (i, e) => (watch.afterEvent(i, e), void obs.push(...k.drain())) });
  const drivers = [...k.drivers].map(([h, d]) => [h, Array.from(d.pfns)]);
  return JSON.stringify({ ledger: k.ledger.totals(), outcomes: k.outcomes.toJSON(), obs, answers: watch.answers, drivers, view: userView(k) });
}

/** Releases everything after `events` and returns what is left (every count should be 0). */
export function pinnedMigrationLeftovers(policy: PinnedMigrationPolicy, events: readonly WorkloadEvent[], opts: PinnedMigrationMachineOptions = {}) {
  return axisLeftovers(pinnedMigrationKernel(policy, opts), events, (k) => {
    let driverFrames = 0;
    for (let p = 0; p < k.frames.nr; p++) if (k.frames.test(p, PG.driver)) driverFrames++;
    return { driverHandles: k.drivers.size, driverFrames };
  });
}

/** The ledger audit (audit.ts) after every event; returns the first event's complaints, or []. */
export function pinnedMigrationAudit(policy: PinnedMigrationPolicy, events: readonly WorkloadEvent[], opts: PinnedMigrationMachineOptions = {}): string[] {
  return axisAudit(pinnedMigrationKernel(policy, opts), events);
}

// ----------------------------------------------------- fixed scenarios

const MB = 1 << 20;

/**
 * A movable driver page in the way of a CMA allocation of the whole CMA area
 * (node 0 takes movable pages from CMA first while CMA is most of its free
 * memory), then an unmovable driver page in the way of compaction on node 0
 * after the anonymous memory around it was freed in holes. Every design is
 * asked about both; the contract of each answer is checked as in the
 * streams, and the CMA allocation's outcome must follow the movable page's
 * answer.
 */
export const DRIVER_PAGE_SCENARIO: readonly WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'driver_alloc', owner: 'zsmalloc', pages: 4, movable: true, handle: 'zs', node: 0 },
  { type: 'alloc_contig', pages: STREAM_MACHINE.cma / 4096, cma: true, handle: 'cma' },
  { type: 'free_contig', handle: 'cma' },
  { type: 'mmap', pid: 1, addr: 64 * MB, len: 8 * MB, kind: 'anon' },
  { type: 'touch', pid: 1, addr: 64 * MB, len: 8 * MB, write: true },
  { type: 'driver_alloc', owner: 'zbud', pages: 4, movable: false, handle: 'zbud', node: 0 },
  { type: 'madvise', pid: 1, addr: 64 * MB, len: 4 * MB, advice: 'dontneed' },
  { type: 'compact', order: 10, node: 0 },
  { type: 'alloc_contig', pages: 1024, cma: false, handle: 'big', node: 0 },
  { type: 'free_contig', handle: 'big' },
  { type: 'driver_free', handle: 'zs' },
  { type: 'driver_free', handle: 'zbud' },
  { type: 'exit', pid: 1 },
];

// ---------------------------------------------------------------- suite

/**
 * The suite (axis-suite.ts writes the cases every axis owes: plug-in,
 * determinism, leftovers, audit); the axis adds its contract, the fixed
 * driver-page scenario and a check that the streams really ask the policy.
 */
export const runPinnedMigrationConformance: <P>(descriptor: PolicyDescriptor<'pinned-migration', P>, options?: PinnedMigrationConformanceOptions<P>) => void =
  defineAxisSuite<'pinned-migration', PinnedMigrationPolicy, AxisSuiteOptions<unknown>>({
    axis: 'pinned-migration',
    methods: ['migrateDriverPage', 'onDriverPin'],
    seed: PINNED_MIGRATION_SEED,
    budgetMs: STREAM_BUDGET_MS,
    streams: (o) => pinnedMigrationStreams(o.stream),
    kernel: (policy, o) => pinnedMigrationKernel(policy, { params: o.params ?? {} }),
    replay: (policy, events, o) => void replayPinnedMigration(policy, events, { params: o.params ?? {} }),
    contract:
      "keeps kernel-core's invariants, every process' content, every driver page's owner and data, and each answer's contract after every event of random streams",
    digest: (policy, events, o) => pinnedMigrationDigest(policy, events, { params: o.params ?? {} }),
    digestHolds: 'ledger totals, outcomes, observations and answers',
    leftovers: (policy, events, o) => pinnedMigrationLeftovers(policy, events, { params: o.params ?? {} }),
    released: 'every driver page, contiguous range, pin and process is gone and every file truncated',
    cases: ({ make, options, streams, fc: fcParams, budgetMs }) => {
      const mopts: PinnedMigrationMachineOptions = { params: options.params ?? {} };
      it('honours each answer on a movable driver page in the way of CMA and an unmovable one in the way of compaction', () => {
        const { watch } = replayPinnedMigration(make(), DRIVER_PAGE_SCENARIO, mopts);
        expect(new Set(watch.answers.map((a) => (a.movable ? 'movable' : 'unmovable')))).toEqual(new Set(['movable', 'unmovable']));
        // The CMA allocation of the whole area succeeds iff no page in it was answered 'busy'.
        const cmaEvent = DRIVER_PAGE_SCENARIO.findIndex((e) => e.type === 'alloc_contig' && e.cma);
        const busy = watch.answers.some((a) => a.event === cmaEvent && a.answer === 'busy');
        expect(replayPinnedMigration(make(), DRIVER_PAGE_SCENARIO.slice(0, cmaEvent + 1), mopts).k.drivers.has('cma')).toBe(!busy);
      });

      it(
        'asks the policy about driver pages met by compaction and contiguous allocation in the random streams',
        () => {
          const samples = fc.sample(streams, { seed: fcParams.seed, numRuns: 24 });
          let asking = 0;
          for (const events of samples) {
            const watch = new PinnedMigrationWatch(make());
            const k = pinnedMigrationKernel(watch.policy, mopts);
            watch.attach(k);
            runEvents(k, events, { after: (i, e) => void watch.afterEvent(i, e) });
            if (watch.answers.length > 0) asking++;
          }
          expect(asking).toBeGreaterThanOrEqual(samples.length / 4);
        },
        budgetMs,
      );
    },
  });
