/**
 * A named workload: a seeded generator of an event log (header + events).
 * `pagelab scenarios` lists them; `pagelab run NAME` replays one.
 */
import type { LogHeader, WorkloadEvent } from '@pagelab/events';

export interface ScenarioParamDoc {
  name: string;
  description: string;
  default: number | string | boolean;
}

export interface Scenario {
  /** kebab-case name used on the command line, e.g. "s1-false-negative". */
  readonly name: string;
  readonly title: string;
  /** Where it comes from: a seed thread file or a docs/kernel/mm-facts.md scenario, e.g. "seed 003; docs/kernel/mm-facts.md S1". */
  readonly source: string;
  /** What a reader should see when comparing designs on it. */
  readonly expectation: string;
  /** Designs it is meant to be compared under, e.g. ["linux-3.13", "linux-4.5"]. */
  readonly designs: readonly string[];
  readonly params: readonly ScenarioParamDoc[];
  /** Builds the log. Unknown or out-of-range params throw an Error naming the param and the expected value. */
  generate(params?: Readonly<Record<string, number | string | boolean>>): { header: LogHeader; events: WorkloadEvent[] };
  /**
   * The same log, generated lazily: each iteration of `events` runs the
   * generator again from the seed and yields the same events, holding none
   * of them. Scenarios that can grow large (the benchmark mix) have it; the
   * params are checked when it is called, as by generate.
   */
  stream?(params?: Readonly<Record<string, number | string | boolean>>): ScenarioStream;
}

/** A scenario's log as a header and a re-iterable, lazily generated event sequence. */
export interface ScenarioStream {
  readonly header: LogHeader;
  readonly events: Iterable<WorkloadEvent>;
}
