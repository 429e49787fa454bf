/**
 * The model's prediction of what the kernel reported. A recorded log is
 * replayed under one design; at the event each smaps sample lines up with,
 * the model's AnonHugePages (huge PMDs mapping anon folios, summed over
 * every mm, as smaps_rollup sums over the tree) and RssAnon + RssShmem are
 * read and set beside the kernel's. The error is over the run: the mean
 * absolute difference, and that divided by the mean observed value.
 */
import { Replayer, type Design, type LogEvent } from '@pagelab/engine';
import { anonHugeBytes, PAGE_SIZE, type Kernel } from '@pagelab/kernel-core';
import type { LogHeader, WorkloadEvent } from '@pagelab/events';

export interface ObservedSample {
  readonly seq: number;
  /** Milliseconds into the observed run, for charts. */
  readonly tMs?: number;
  readonly anonHugeBytes: number;
  readonly rssModelBytes: number;
}

export interface PredictedPoint {
  readonly seq: number;
  readonly tMs: number;
  readonly observedAnonHugeBytes: number;
  readonly predictedAnonHugeBytes: number;
  readonly observedRssBytes: number;
  readonly predictedRssBytes: number;
}

export interface PredictionError {
  /** Mean |predicted - observed| over the samples, bytes. */
  readonly meanAbsBytes: number;
  /** meanAbsBytes / mean observed (0 when nothing was observed and nothing predicted; Infinity when only the model saw some). */
  readonly relative: number;
  readonly meanObservedBytes: number;
  readonly samples: number;
}

export interface Prediction {
  readonly design: string;
  readonly points: PredictedPoint[];
  readonly anonHuge: PredictionError;
  readonly rss: PredictionError;
  /**
   * The same over the steady samples only: those whose observed value equals
   * both neighbours'. The normal run is lined up with the log by time
   * (through its forks and exits), not by event, so a sample taken while the program changes
   * fast (a burst of faults, a fork) may be set beside the wrong event; the
   * steady samples show what the model gets wrong when timing cannot.
   */
  readonly anonHugeSteady: PredictionError;
  readonly rssSteady: PredictionError;
}

function steady(points: readonly PredictedPoint[], key: 'observedAnonHugeBytes' | 'observedRssBytes'): PredictedPoint[] {
  return points.filter((p, i) => i > 0 && i < points.length - 1 && points[i - 1]![key] === p[key] && points[i + 1]![key] === p[key]);
}

/** The model's totals over every live mm. */
export function modelTotals(k: Kernel): { anonHugeBytes: number; rssBytes: number } {
  let huge = 0,
    rss = 0;
  for (const mm of k.mms.values()) {
    huge += anonHugeBytes(k, mm);
    rss += (mm.rssAnon + mm.rssShmem) * PAGE_SIZE;
  }
  return { anonHugeBytes: huge, rssBytes: rss };
}

export function errorOf(pairs: readonly (readonly [number, number])[]): PredictionError {
  if (pairs.length === 0) return { meanAbsBytes: 0, relative: 0, meanObservedBytes: 0, samples: 0 };
  let abs = 0,
    obs = 0;
  for (const [p, o] of pairs) {
    abs += Math.abs(p - o);
    obs += o;
  }
  const meanAbs = abs / pairs.length,
    meanObs = obs / pairs.length;
  return { meanAbsBytes: meanAbs, relative: meanObs > 0 ? meanAbs / meanObs : meanAbs > 0 ? Infinity : 0, meanObservedBytes: meanObs, samples: pairs.length };
}

/** Replays the log under `design`, reading the model at every sample's seq (samples in any order). */
export function predict(log: { header: LogHeader; events: readonly WorkloadEvent[] }, design: Design, samples: readonly ObservedSample[]): Prediction {
  const sorted = [...samples].sort((a, b) => a.seq - b.seq);
  const r = new Replayer(log.header, design, { sampleEvery: Number.MAX_SAFE_INTEGER });
  r.start();
  const points: PredictedPoint[] = [];
  let i = 0;
  const read = (seq: number) => {
    if (i >= sorted.length || sorted[i]!.seq > seq) return;
    const m = modelTotals(r.kernel);
    while (i < sorted.length && sorted[i]!.seq <= seq) {
      const s = sorted[i++]!;
      points.push({
        seq: s.seq,
        tMs: s.tMs ?? 0,
        observedAnonHugeBytes: s.anonHugeBytes,
        predictedAnonHugeBytes: m.anonHugeBytes,
        observedRssBytes: s.rssModelBytes,
        predictedRssBytes: m.rssBytes,
      });
    }
  };
  read(0);
  let seq = 0;
  for (const event of log.events) {
    const item: LogEvent = { line: seq + 2, event };
    r.apply(item);
    read(++seq);
  }
  read(Number.MAX_SAFE_INTEGER);
  return {
    design: design.name,
    points,
    anonHuge: errorOf(points.map((p) => [p.predictedAnonHugeBytes, p.observedAnonHugeBytes])),
    rss: errorOf(points.map((p) => [p.predictedRssBytes, p.observedRssBytes])),
    anonHugeSteady: errorOf(steady(points, 'observedAnonHugeBytes').map((p) => [p.predictedAnonHugeBytes, p.observedAnonHugeBytes])),
    rssSteady: errorOf(steady(points, 'observedRssBytes').map((p) => [p.predictedRssBytes, p.observedRssBytes])),
  };
}

/**
 * The preset closest to a kernel release: the newest linux-X.Y preset not
 * newer than the running kernel (the newest of all when every one is older),
 * e.g. 6.18.44 -> linux-6.18 if there is one, else linux-6.15.
 */
export function closestPreset(kernelRelease: string, presets: readonly string[]): string | undefined {
  const v = (s: string) => {
    const m = /(\d+)\.(\d+)/.exec(s);
    return m ? Number(m[1]) * 1000 + Number(m[2]) : undefined;
  };
  const running = v(kernelRelease) ?? Infinity;
  const linux = presets
    .filter((p) => /^linux-\d+\.\d+$/.test(p))
    .map((p) => ({ p, v: v(p)! }))
    .sort((a, b) => a.v - b.v);
  const notNewer = linux.filter((x) => x.v <= running);
  return (notNewer[notNewer.length - 1] ?? linux[linux.length - 1])?.p;
}
