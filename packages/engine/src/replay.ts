/**
 * Replay: a workload log through the model under one design, as a stream of
 * observations. Streams only carry batches between plain functions: the
 * Replayer applies one event at a time and returns that event's
 * observations (the kernel's domain events, then any metric sample and
 * invariant violations); replayBatches/replay wrap it in an Observable,
 * which steps an in-memory log in slices so a signal is seen mid-replay.
 */
import { Observable, concatAll, forkJoin, isObservable, map, filter, toArray, type Subscription } from 'rxjs';
import { applyEvent, checkInvariants, Kernel, ModelInputError, type Settings as KernelSettings } from '@pagelab/kernel-core';
import {
  OBSERVATIONS_FORMAT_VERSION,
  OUTCOME_NAMES,
  describeValue,
  stableStringify,
  type ExpectationCheck,
  type ExpectationFailure,
  type LogHeader,
  type Metrics,
  type Outcome,
  type WorkloadEvent,
  type Observation as EventsObservation,
  type ObservationOf,
} from '@pagelab/events';
import { designJson, type Design } from './design.js';
import { Probe, type SampleMetrics, type SharednessDivergence } from './metrics.js';
import { OverRunMeter, type OverRun } from './over-run.js';
import { EventCostMeter, type EventCost } from './event-costs.js';
import { VmstatMeter, type Vmstat } from './vmstat.js';
import { EventMarkMeter, type EventMarks } from './event-marks.js';
import { BalloonMeter, type BalloonSummary } from './balloon.js';
import { type ContiguitySummary, pinnedBlocks } from './pinned.js';
import type { PinnedMigrationStats } from '@pagelab/kernel-core';
import { PAGELAB_VERSION } from './version.js';

/** One event of a log with its 1-based line number (an `EventItem` of @pagelab/events fits). */
export interface LogEvent {
  readonly line: number;
  readonly event: WorkloadEvent;
}

/**
 * A decoded log. `events` must be replayable when the log is replayed more
 * than once (compare): an array, or a cold Observable such as decodeEvents(path).
 */
export interface LogInput {
  readonly header: LogHeader;
  readonly events: Observable<LogEvent> | Iterable<LogEvent>;
}

/** An observation line (contracts.md §2), as the events package's observation map declares it. */
export type Observation = EventsObservation;
export type SampleObservation = ObservationOf<'sample'>;

export type InvariantMode = false | 'every' | 'sample';

export interface ReplayOptions {
  /** A metric sample every N events (and at seq 0 and after the last event). Default 1000. */
  readonly sampleEvery?: number;
  /** Run the full invariant walk after every event, at every sample, or never (default). */
  readonly checkInvariants?: InvariantMode;
  /** Also walk the invariants every N events and after the last one (the CLI's default: a few walks per run). */
  readonly invariantEvery?: number;
  /** Name of the log in error messages (a file path or `scenario:NAME`). */
  readonly source?: string;
  /** Called once after the last event, before the stream completes: what summarize needs. */
  readonly onEnd?: (state: ReplayState) => void;
  /** Called after each event with the number of events applied so far. */
  readonly onProgress?: (events: number) => void;
  /**
   * An in-memory log (an Iterable) is replayed in slices of this many
   * events, yielding to the event loop between them (default
   * REPLAY_YIELD_EVERY; 0: in one synchronous pass). An Observable log
   * yields as its source does.
   */
  readonly yieldEvery?: number;
}

export const DEFAULT_SAMPLE_EVERY = 1000;

/** Events per slice of an in-memory replay: a few milliseconds of model time, so a signal is handled promptly. */
export const REPLAY_YIELD_EVERY = 4096;

/** The end state of a replay. */
export interface ReplayState {
  readonly kernel: Kernel;
  /** What the engine measured of the kernel (metrics, peak, sharedness, expect tallies). */
  readonly probe: Probe;
  readonly events: number;
  /** Failed expect checks, each with the seq of its event. */
  readonly expectationFailures: readonly ExpectationFailure[];
  readonly invariantViolations: number;
  /** Full invariant walks run (0: the invariants were not checked). */
  readonly invariantWalks: number;
  /** time-weighted means and peaks over the samples */
  readonly overRun: OverRun;
  /** locked ops per workload event type, from the ledger calls each event made */
  readonly lockedOpsByEvent: Record<string, EventCost>;
  /** observation-only vmstat counts; the rest come from the outcomes (summarize) */
  readonly vmstat: VmstatMeter;
  /** where khugepaged, reclaim, fork and compact events happened */
  readonly eventMarks: EventMarks;
  /** what the log's hole punches and MADV_DONTNEEDs gave back (balloon.ts) */
  readonly balloon: BalloonMeter;
}

/** Input the model cannot act on (or a model failure), at one line of the log. */
export class ReplayError extends Error {
  constructor(
    message: string,
    /** 1-based line of the log (1 = the header). */
    readonly line: number,
    /** 1-based event index (0 = the header / initial state). */
    readonly seq: number,
    /** The event's type, or `header`. */
    readonly eventType: string,
    /** The event field at fault, when the model named one. */
    readonly field?: string,
    readonly expected?: string,
    readonly actual?: unknown,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}

function replayError(e: unknown, source: string, line: number, seq: number, type: string): ReplayError {
  if (e instanceof ReplayError) return e;
  if (e instanceof ModelInputError) {
    return new ReplayError(
      `${source}:${line}: at $.${e.field}: expected ${e.expected}, got ${describeValue(e.actual)} (the model cannot apply this ${type === 'header' ? 'header' : `"${type}" event`})`,
      line,
      seq,
      type,
      e.field,
      e.expected,
      e.actual,
    );
  }
  const why = e instanceof Error ? e.message : String(e);
  return new ReplayError(`${source}:${line}: the model failed on this ${type === 'header' ? 'header' : `"${type}" event`}: ${why}`, line, seq, type);
}

/** Applies a log's events one at a time; each call returns that event's observations. */
export class Replayer {
  readonly kernel: Kernel;
  private readonly every: number;
  private readonly mode: InvariantMode;
  private readonly source: string;
  private seq = 0;
  private lastSampleSeq = -1;
  private readonly seen = new Set<string>();
  private violations = 0;
  private readonly invEvery: number;
  private walks = 0;
  private lastWalkSeq = -1;
  private readonly failures: ExpectationFailure[] = [];
  private readonly overRun = new OverRunMeter();
  private readonly costs = new EventCostMeter();
  private readonly vmstat = new VmstatMeter();
  private readonly marks = new EventMarkMeter();
  private readonly balloon = new BalloonMeter();
  private readonly probe: Probe;

  constructor(header: LogHeader, design: Design, opts: ReplayOptions = {}) {
    this.every = Math.max(1, Math.floor(opts.sampleEvery ?? DEFAULT_SAMPLE_EVERY));
    this.mode = opts.checkInvariants ?? false;
    this.invEvery = Math.max(0, Math.floor(opts.invariantEvery ?? 0));
    this.source = opts.source ?? '<log>';
    try {
      this.kernel = new Kernel(header.machine, design.createPolicies(), { ...design.params }, header.settings as Partial<KernelSettings>);
    } catch (e) {
      throw replayError(e, this.source, 1, 0, 'header');
    }
    this.probe = new Probe(this.kernel);
  }

  /** The expect checks that failed, from their `expect.failed` observations (the engine does not read the kernel's lists). */
  private collectFailures(batch: readonly Observation[]): void {
    for (const o of batch) {
      if (o.type !== 'expect.failed') continue;
      const { type: _type, ...failure } = o;
      this.failures.push(failure as ExpectationFailure);
    }
  }

  /**
   * Full batches of one event's observations go to `sink` as they fill
   * (Kernel.spill), before the rest of that event's batch, so an event that
   * observes without bound never holds more than a batch in memory.
   */
  spillTo(sink: (batch: Observation[]) => void): void {
    this.kernel.spill = (batch) => {
      this.vmstat.observe(batch);
      this.collectFailures(batch);
      sink(batch);
    };
  }

  /** The initial state: a sample at seq 0. */
  start(): Observation[] {
    const out: Observation[] = [];
    if (this.mode) this.invariants(out);
    this.sample(out);
    return out;
  }

  /** Applies one event (seq = its 1-based index); throws a ReplayError on input the model cannot act on. */
  apply(item: LogEvent): Observation[] {
    const k = this.kernel;
    this.seq++;
    const ops = k.ledger.lockedOps;
    this.balloon.before(k, item.event, this.seq);
    try {
      applyEvent(k, item.event, item.line);
    } catch (e) {
      throw replayError(e, this.source, item.line, this.seq, item.event.type);
    }
    this.costs.add(item.event.type, k.ledger.lockedOps - ops);
    this.marks.add(item.event.type, this.seq);
    this.balloon.after(k, item.event);
    const drained = k.drain() as Observation[];
    if (drained.length > 0) {
      this.vmstat.observe(drained);
      this.collectFailures(drained);
    }
    const sampling = this.seq % this.every === 0;
    const checking = this.mode === 'every' || (this.mode === 'sample' && sampling) || (this.invEvery > 0 && this.seq % this.invEvery === 0);
    // Most events observe nothing: hand back the kernel's shared empty batch without allocating.
    if (!sampling && !checking) return drained;
    const out = drained.length > 0 ? drained : [];
    if (checking) this.invariants(out);
    if (sampling) this.sample(out);
    return out;
  }

  /** After the last event: the closing sample (unless the last event was sampled). */
  finish(): Observation[] {
    const out: Observation[] = [];
    if ((this.mode || this.invEvery > 0) && this.lastWalkSeq !== this.seq) this.invariants(out);
    if (this.lastSampleSeq !== this.seq) this.sample(out);
    return out;
  }

  /** Events applied so far (what state().events will say), without building the state. */
  get applied(): number {
    return this.seq;
  }

  state(): ReplayState {
    return {
      kernel: this.kernel,
      probe: this.probe,
      events: this.seq,
      expectationFailures: [...this.failures],
      invariantViolations: this.violations,
      invariantWalks: this.walks,
      overRun: this.overRun.result(),
      lockedOpsByEvent: this.costs.result(),
      vmstat: this.vmstat,
      eventMarks: this.marks.result(),
      balloon: this.balloon,
    };
  }

  private sample(out: Observation[]): void {
    this.lastSampleSeq = this.seq;
    const metrics = this.probe.sample();
    this.overRun.sample(this.seq, metrics);
    out.push({ seq: this.seq, type: 'sample', metrics });
  }

  /** Each distinct violation is reported once, when first seen. */
  private invariants(out: Observation[]): void {
    let found: readonly { readonly invariant: string; readonly detail: string }[];
    this.walks++;
    this.lastWalkSeq = this.seq;
    try {
      found = checkInvariants(this.kernel);
    } catch (e) {
      found = [{ invariant: 'model', detail: `the invariant walk itself failed: ${e instanceof Error ? e.message : String(e)}` }];
    }
    for (const { invariant, detail } of found) {
      if (this.seen.has(detail)) continue;
      this.seen.add(detail);
      this.violations++;
      out.push({ seq: this.seq, type: 'invariant.violated', invariant, detail });
    }
  }
}

/**
 * The observations of a replay, one array per event that produced any (plus
 * the initial and closing samples). Errors with a ReplayError at the first
 * event the model cannot act on.
 */
export function replayBatches(log: LogInput, design: Design, opts: ReplayOptions = {}): Observable<readonly Observation[]> {
  return new Observable<readonly Observation[]>((subscriber) => {
    let r: Replayer;
    try {
      r = new Replayer(log.header, design, opts);
    } catch (e) {
      subscriber.error(e);
      return;
    }
    const push = (batch: Observation[]) => {
      if (batch.length > 0) subscriber.next(batch);
    };
    r.spillTo(push);
    const step = (item: LogEvent): boolean => {
      try {
        push(r.apply(item));
      } catch (e) {
        subscriber.error(e);
        return false;
      }
      // Per event: the count alone, not state() (which copies the expectation failures).
      opts.onProgress?.(r.applied);
      return !subscriber.closed;
    };
    const end = () => {
      push(r.finish());
      opts.onEnd?.(r.state());
      subscriber.complete();
    };
    push(r.start());
    const events = log.events;
    if (isObservable(events)) {
      let inner: Subscription | undefined = undefined;
      inner = events.subscribe({
        next: (item) => {
          if (!subscriber.closed && !step(item)) inner?.unsubscribe();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: end,
      });
      return () => inner?.unsubscribe();
    }
    // An in-memory log is stepped in slices of `yieldEvery` events with a
    // macrotask between them, so the event loop can run a signal handler
    // (Ctrl-C) or a write's callback within one slice, not after the replay.
    const slice = opts.yieldEvery ?? REPLAY_YIELD_EVERY;
    const it = events[Symbol.iterator]();
    let next: ReturnType<typeof setImmediate> | undefined;
    const run = (): void => {
      next = undefined;
      for (let n = 0; slice <= 0 || n < slice; n++) {
        const r = it.next();
        if (r.done) return end();
        if (!step(r.value)) return;
      }
      next = setImmediate(run);
    };
    run();
    return () => {
      if (next !== undefined) clearImmediate(next);
    };
  });
}

/** The observations of a replay, one by one (batched per event upstream). */
export function replay(log: LogInput, design: Design, opts: ReplayOptions = {}): Observable<Observation> {
  return replayBatches(log, design, opts).pipe(concatAll());
}

/** Key order of every observation line: seq and type first, then sorted. */
export const OBSERVATION_LEADING_KEYS = ['seq', 'type'] as const;

/** One observation as its log line (deterministic bytes). */
export function observationLine(o: Observation): string {
  return stableStringify(o, { leadingKeys: OBSERVATION_LEADING_KEYS });
}

export interface RunMeta {
  readonly design: Design;
  readonly header: LogHeader;
  readonly logSha256: string;
}

/** Line 1 of an observation log (contracts.md §2). */
export function observationHeader(meta: RunMeta): Record<string, unknown> {
  return {
    pagelab_observations: OBSERVATIONS_FORMAT_VERSION,
    pagelab: PAGELAB_VERSION,
    design: designJson(meta.design),
    workload: meta.header.workload,
    logSha256: meta.logSha256,
  };
}

export function observationHeaderLine(meta: RunMeta): string {
  return stableStringify(observationHeader(meta), { leadingKeys: ['pagelab_observations', 'pagelab'] });
}

export interface RunSummary {
  readonly pagelab: string;
  readonly design: ReturnType<typeof designJson>;
  readonly workload: LogHeader['workload'];
  readonly logSha256: string;
  /** the tunables the log was replayed with (the header's settings, after any --set) */
  readonly settings: LogHeader['settings'];
  readonly events: number;
  readonly metrics: SampleMetrics;
  /** time-weighted means over the run (trapezoid over the samples, x = event index) and the peak coverage */
  readonly overRun: OverRun;
  /** locked ops per workload event type, from the ledger calls each event made */
  readonly lockedOpsByEvent: Record<string, EventCost>;
  /** seqs of the khugepaged, reclaim, fork and compact events (for time charts), thinned past 512 per type */
  readonly eventMarks: EventMarks;
  /** counters under their /proc/vmstat names (vmstat.ts says how each is counted) */
  readonly vmstat: Vmstat;
  readonly outcomes: Record<string, Outcome>;
  readonly expectations: {
    readonly passed: number;
    readonly failed: number;
    readonly failures: readonly ExpectationFailure[];
    readonly checks: readonly ExpectationCheck[];
  };
  readonly invariantViolations: number;
  /** Full invariant walks the replay ran: 0 means the invariants were not checked. */
  readonly invariantWalks: number;
  /** Faults that found no memory (touch, GUP, dio), and whether an `expect` with `oomFaults` said the log means it. */
  readonly oom: { readonly faults: number; readonly expected: boolean };
  /** Every sharedness question khugepaged asked, answered by the policy and by the precise rule. */
  readonly sharedness: SharednessDivergence;
  /** Only for a log that punches holes or MADV_DONTNEEDs memory: requested, freed and refilled, per round (balloon.ts). */
  readonly balloon?: BalloonSummary;
  /** The global pin-page lock and hash (DM), owner migrations, node crossings, driver-page reclaim (pinned.ts). */
  readonly pinnedMigration: PinnedMigrationStats;
  /** CMA / alloc_contig, compaction results, pageblocks by migratetype, extfrag fallbacks (pinned.ts). */
  readonly contiguity: ContiguitySummary;
}

function balloonBlock(state: ReplayState): { balloon?: BalloonSummary } {
  const b = state.balloon.result(state.kernel);
  return b ? { balloon: b } : {};
}

/** summary.json (contracts.md §3) from a replay's end state. Every outcome name is present (zeros when nothing happened). */
export function summarize(state: ReplayState, meta: RunMeta): RunSummary {
  const k = state.kernel;
  const outcomes: Record<string, Outcome> = {};
  for (const name of OUTCOME_NAMES) outcomes[name] = { ok: 0, failed: 0, reasons: {} };
  const tallies = k.outcomes.toJSON();
  for (const name of Object.keys(tallies)) outcomes[name] = tallies[name]!;
  const sorted: Record<string, Outcome> = {};
  for (const name of Object.keys(outcomes).sort()) sorted[name] = outcomes[name]!;
  return {
    pagelab: PAGELAB_VERSION,
    design: designJson(meta.design),
    workload: meta.header.workload,
    logSha256: meta.logSha256,
    settings: meta.header.settings ?? {},
    events: state.events,
    metrics: state.probe.summaryMetrics(),
    overRun: state.overRun,
    lockedOpsByEvent: state.lockedOpsByEvent,
    eventMarks: state.eventMarks,
    vmstat: state.vmstat.result(sorted),
    outcomes: sorted,
    expectations: { ...state.probe.expectationCounts(), failures: state.expectationFailures, checks: k.expectations.checks as ExpectationCheck[] },
    invariantViolations: state.invariantViolations,
    invariantWalks: state.invariantWalks,
    oom: { faults: k.outcomes.get('fault').reasons['oom'] ?? 0, expected: k.expectations.oomChecked },
    sharedness: state.probe.sharedness(),
    ...balloonBlock(state),
    ...pinnedBlocks(k),
  };
}

/** summary.json's bytes: fixed leading keys, the rest sorted, two-space indent. */
export function summaryJson(s: RunSummary): string {
  return `${JSON.stringify(JSON.parse(stableStringify(s, { leadingKeys: ['pagelab', 'design', 'workload', 'logSha256', 'events', 'metrics'] })), null, 2)}\n`;
}

/** Samples of several designs at one seq. */
export interface AlignedSample {
  readonly seq: number;
  /** Metrics per design name, in the order the designs were given. */
  readonly metrics: Readonly<Record<string, Metrics>>;
}

/**
 * Replays one log under several designs (subscribed together) and aligns
 * their samples by seq. Errors with the first design's ReplayError.
 */
export function compare(log: LogInput, designs: readonly Design[], opts: Omit<ReplayOptions, 'onEnd' | 'onProgress'> = {}): Observable<AlignedSample> {
  const runs = designs.map((d) =>
    replay(log, d, opts).pipe(
      filter((o): o is Observation & SampleObservation => o.type === 'sample'),
      toArray(),
      map((samples) => ({ name: d.name, samples })),
    ),
  );
  return forkJoin(runs).pipe(
    map((all) => {
      const bySeq = new Map<number, Record<string, Metrics>>();
      for (const { name, samples } of all) {
        for (const s of samples) {
          let row = bySeq.get(s.seq);
          if (!row) bySeq.set(s.seq, (row = {}));
          row[name] = s.metrics;
        }
      }
      return [...bySeq.keys()].sort((a, b) => a - b).map((seq) => ({ seq, metrics: bySeq.get(seq)! }));
    }),
    concatAll(),
  );
}
