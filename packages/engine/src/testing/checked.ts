/**
 * One workload log replayed the way the workload tests check it: under a
 * named design, with the invariants walked after every event (or sampled),
 * every observation handed to an optional watcher, and what a test asserts
 * on collected — the summary, the invariant violations and the labels of
 * the failed expects, in order.
 */
import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { isLeft } from 'fp-ts/lib/Either.js';
import { designFrom } from '../design.js';
import { type Registry, discoverRegistry } from '../registry.js';
import { type Observation, Replayer, type RunSummary, summarize } from '../replay.js';

export interface CheckedRun extends RunSummary {
  /** Each invariant violation as `name: detail`, in the order seen. */
  violations: string[];
  /** The failed expects' labels (their check when unlabelled), in order. */
  failed: string[];
}

export interface CheckedReplayOptions {
  /** 'every' (default): the full walk after every event; 'sample': at each sample. */
  invariants?: 'every' | 'sample' | false;
  /** Events between samples (default: one sample at the end). */
  sampleEvery?: number;
  /** Sees every observation, e.g. to collect khugepaged_scan results. */
  watch?: (o: Observation) => void;
  /** Names the log in errors (scenario:NAME). */
  source?: string;
}

/** A generated workload: a scenario's `generate` result. */
export interface GeneratedLog {
  readonly header: LogHeader;
  readonly events: readonly WorkloadEvent[];
}

export function replayChecked(log: GeneratedLog, design: string, registry: Registry, opts: CheckedReplayOptions = {}): CheckedRun {
  const d = designFrom(design, registry);
  if (isLeft(d)) throw new Error(d.left.message);
  const sampleEvery = opts.sampleEvery ?? Math.max(1, log.events.length);
  const r = new Replayer(log.header, d.right, { sampleEvery, checkInvariants: opts.invariants ?? 'every', source: opts.source ?? 'test' });
  const violations: string[] = [];
  const collect = (obs: readonly Observation[]) => {
    for (const o of obs) {
      if (o.type === 'invariant.violated') violations.push(`${String(o['invariant'])}: ${String(o['detail'])}`);
      opts.watch?.(o);
    }
  };
  collect(r.start());
  let line = 1;
  for (const event of log.events) collect(r.apply({ line: ++line, event }));
  collect(r.finish());
  const s = summarize(r.state(), { design: d.right, header: log.header, logSha256: 'test' });
  const failed = s.expectations.failures.map((f) => (f as { label?: string }).label ?? f.check);
  return { ...s, violations, failed };
}

/** The registry of every installed policy package, for tests (a discovery problem fails the test). */
export async function installedRegistry(): Promise<Registry> {
  const r = await discoverRegistry();
  if (isLeft(r)) throw new Error(String(r.left));
  return r.right;
}
