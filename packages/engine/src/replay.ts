/**
 * Replay: a workload log through the model under one design, as a stream of
 * observations. Streams only carry batches between plain functions: the
 * Replayer applies one event at a time and returns that event's
 * observations (the kernel's domain events, then any metric sample and
 * invariant violations); replayBatches/replay wrap it in an Observable.
 */
import { Observable, concatAll, forkJoin, isObservable, map, filter, toArray, type Subscription } from 'rxjs';
import { applyEvent, checkInvariants, Kernel, ModelInputError, type Settings as KernelSettings } from '@pagelab/kernel-core';
import {
  OBSERVATIONS_FORMAT_VERSION, OUTCOME_NAMES, describeValue, stableStringify,
  type ExpectationFailure, type LogHeader, type Metrics, type Outcome, type WorkloadEvent,
} from '@pagelab/events';
import { designJson, type Design } from './design.js';
import { measureMetrics, summaryMetrics, type SampleMetrics } from './metrics.js';
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

/** An observation line (contracts.md §2): `seq`, `type`, and the type's fields. */
export type Observation = { readonly seq: number; readonly type: string } & Readonly<Record<string, unknown>>;
export type SampleObservation = { readonly seq: number; readonly type: 'sample'; readonly metrics: Metrics };

export type InvariantMode = false | 'every' | 'sample';

export interface ReplayOptions {
  /** A metric sample every N events (and at seq 0 and after the last event). Default 1000. */
  readonly sampleEvery?: number;
  /** Run the full invariant walk after every event, at every sample, or never (default). */
  readonly checkInvariants?: InvariantMode;
  /** Name of the log in error messages (a file path or `scenario:NAME`). */
  readonly source?: string;
  /** Called once after the last event, before the stream completes: what summarize needs. */
  readonly onEnd?: (state: ReplayState) => void;
  /** Called after each event with the number of events applied so far. */
  readonly onProgress?: (events: number) => void;
}

export const DEFAULT_SAMPLE_EVERY = 1000;

/** The end state of a replay. */
export interface ReplayState {
  readonly kernel: Kernel;
  readonly events: number;
  /** Failed expect checks, each with the seq of its event. */
  readonly expectationFailures: readonly ExpectationFailure[];
  readonly invariantViolations: number;
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
      line, seq, type, e.field, e.expected, e.actual,
    );
  }
  const why = e instanceof Error ? e.message : String(e);
  return new ReplayError(`${source}:${line}: the model failed on this ${type === 'header' ? 'header' : `"${type}" event`}: ${why}`, line, seq, type);
}

/** What the invariant sentence is about, as the observation's `invariant` name. */
export function invariantName(detail: string): string {
  if (detail.startsWith('buddy:')) return 'buddy';
  if (detail.startsWith('content lost')) return 'content';
  if (/^pid \d+ page table/.test(detail)) return 'page_table_used';
  if (/^pid \d+ (PMD|PTE)/.test(detail)) return 'mapping';
  if (/^page \d+: _mapcount/.test(detail)) return 'mapcount';
  if (/refcount \d+ below/.test(detail)) return 'refcount';
  if (/^folio/.test(detail)) return 'folio';
  if (/^swap slot/.test(detail)) return 'swap_count';
  return 'model';
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
  private readonly failures: ExpectationFailure[] = [];

  constructor(header: LogHeader, design: Design, opts: ReplayOptions = {}) {
    this.every = Math.max(1, Math.floor(opts.sampleEvery ?? DEFAULT_SAMPLE_EVERY));
    this.mode = opts.checkInvariants ?? false;
    this.source = opts.source ?? '<log>';
    try {
      this.kernel = new Kernel(header.machine, design.createPolicies(), { ...design.params }, header.settings as Partial<KernelSettings>);
    } catch (e) {
      throw replayError(e, this.source, 1, 0, 'header');
    }
  }

  /** The initial state: a sample at seq 0. */
  start(): Observation[] {
    this.kernel.seq = 0;
    const out: Observation[] = [];
    if (this.mode) this.invariants(out);
    this.sample(out);
    return out;
  }

  /** Applies one event (seq = its 1-based index); throws a ReplayError on input the model cannot act on. */
  apply(item: LogEvent): Observation[] {
    const k = this.kernel;
    this.seq++;
    k.seq = this.seq;
    const before = k.expectations.failures.length;
    try {
      applyEvent(k, item.event, item.line);
    } catch (e) {
      throw replayError(e, this.source, item.line, this.seq, item.event.type);
    }
    const drained = k.drain() as Observation[];
    const failures = k.expectations.failures;
    for (let i = before; i < failures.length; i++) this.failures.push({ seq: this.seq, ...failures[i]! } as ExpectationFailure);
    const sampling = this.seq % this.every === 0;
    const checking = this.mode === 'every' || (this.mode === 'sample' && sampling);
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
    if (this.lastSampleSeq !== this.seq) {
      if (this.mode === 'sample') this.invariants(out);
      this.sample(out);
    }
    return out;
  }

  /** Events applied so far (what state().events will say), without building the state. */
  get applied(): number {
    return this.seq;
  }

  state(): ReplayState {
    return { kernel: this.kernel, events: this.seq, expectationFailures: [...this.failures], invariantViolations: this.violations };
  }

  private sample(out: Observation[]): void {
    this.lastSampleSeq = this.seq;
    out.push({ seq: this.seq, type: 'sample', metrics: measureMetrics(this.kernel) });
  }

  /** Each distinct violation is reported once, when first seen. */
  private invariants(out: Observation[]): void {
    let found: string[];
    try {
      found = checkInvariants(this.kernel);
    } catch (e) {
      found = [`the invariant walk itself failed: ${e instanceof Error ? e.message : String(e)}`];
    }
    for (const detail of found) {
      if (this.seen.has(detail)) continue;
      this.seen.add(detail);
      this.violations++;
      out.push({ seq: this.seq, type: 'invariant.violated', invariant: invariantName(detail), detail });
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
    for (const item of events) if (!step(item)) return;
    end();
    return;
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
  readonly events: number;
  readonly metrics: SampleMetrics;
  readonly outcomes: Record<string, Outcome>;
  readonly expectations: { readonly passed: number; readonly failed: number; readonly failures: readonly ExpectationFailure[] };
  readonly invariantViolations: number;
  /** Every sharedness question khugepaged asked, answered by the policy and by the precise rule. */
  readonly sharedness: Kernel['sharednessDivergence'];
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
    events: state.events,
    metrics: summaryMetrics(k),
    outcomes: sorted,
    expectations: { passed: k.expectations.passed, failed: k.expectations.failed, failures: state.expectationFailures },
    invariantViolations: state.invariantViolations,
    sharedness: { ...k.sharednessDivergence },
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

