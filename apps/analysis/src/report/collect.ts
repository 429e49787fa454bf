import { Subject, connectable, forkJoin, lastValueFrom, toArray } from 'rxjs';
import type { ChartData } from '../charts/data.js';
import { readObservations } from '../io/readObservations.js';
import { hugeCoverage, type CoveragePoint } from '../pipelines/hugeCoverage.js';
import { lockedOpsRates, type RateWindow } from '../pipelines/lockedOpsRates.js';
import { khugepagedScans, type ScanTable } from '../pipelines/khugepagedScans.js';
import { EXACT_OUTCOMES, PARTIAL_OUTCOMES, outcomeCounts, type OutcomeTable } from '../pipelines/outcomeCounts.js';
import { wastePeakAndEnd, type WastePeakAndEnd } from '../pipelines/wastePeakAndEnd.js';
import { samples } from '../pipelines/samples.js';
import { thinSamples } from '../pipelines/thinSamples.js';
import { wasteByCause, type WastePoint } from '../pipelines/wasteByCause.js';
import type { DesignRun, LoadedRun } from './load.js';

/** Samples plotted per design at most; logs with more are thinned (last sample of each bucket). */
export const MAX_PLOTTED_SAMPLES = 300;

export interface DesignSeries {
  waste: WastePoint[];
  coverage: CoveragePoint[];
  /** whole-run rate by site and by kind (empty if the log has no sample past seq 0) */
  siteRates: RateWindow[];
  kindRates: RateWindow[];
  /** outcome counts recomputed from the domain events, to check against summary.json */
  outcomes: OutcomeTable;
  /** waste at its highest sample and at the last one, from every sample */
  peakEnd: WastePeakAndEnd;
  /** khugepaged_scan results */
  scans: ScanTable;
}

/** Reads one design's observation log once, feeding every pipeline from the same pass. */
export async function collectDesign(d: DesignRun): Promise<DesignSeries> {
  const bucket = Math.max(1, Math.ceil(d.summary.events / MAX_PLOTTED_SAMPLES));
  const log = connectable(readObservations(d.observationsPath), { connector: () => new Subject(), resetOnDisconnect: false });
  const s$ = log.pipe(samples());
  const result = lastValueFrom(
    forkJoin({
      waste: s$.pipe(
        thinSamples(bucket, (x) => x.metrics.wasteBytes),
        wasteByCause(),
        toArray(),
      ),
      coverage: s$.pipe(thinSamples(bucket), hugeCoverage(), toArray()),
      siteRates: s$.pipe(lockedOpsRates({ by: 'site', windowEvents: Infinity }), toArray()),
      kindRates: s$.pipe(lockedOpsRates({ by: 'kind', windowEvents: Infinity }), toArray()),
      outcomes: log.pipe(outcomeCounts()),
      peakEnd: s$.pipe(wastePeakAndEnd()),
      scans: log.pipe(khugepagedScans()),
    }),
  );
  log.connect();
  return result;
}

/**
 * Differences between the outcome counts in the log and in summary.json, as
 * sentences. Outcomes with one observation per count (EXACT_OUTCOMES) must
 * match; for those the log only partly shows (PARTIAL_OUTCOMES) the log may
 * not count more than the summary; the rest (reclaim, swap_out, ...)
 * have no observations and are not checked.
 */
export function outcomeMismatches(d: DesignRun, fromLog: OutcomeTable): string[] {
  const out: string[] = [];
  const get = (t: Record<string, { ok: number; failed: number } | undefined>, n: string) => ({ ok: t[n]?.ok ?? 0, failed: t[n]?.failed ?? 0 });
  for (const n of EXACT_OUTCOMES) {
    const a = get(d.summary.outcomes, n);
    const b = get(fromLog, n);
    if (a.ok !== b.ok || a.failed !== b.failed) {
      out.push(`${d.name}: ${n} is ${a.ok} ok / ${a.failed} failed in summary.json but ${b.ok} ok / ${b.failed} failed in observations.jsonl`);
    }
  }
  for (const n of PARTIAL_OUTCOMES) {
    const a = get(d.summary.outcomes, n);
    const b = get(fromLog, n);
    if (b.ok > a.ok || b.failed > a.failed) {
      out.push(`${d.name}: observations.jsonl shows ${b.ok} ok / ${b.failed} failed ${n}, more than summary.json's ${a.ok} ok / ${a.failed} failed`);
    }
  }
  return out;
}

/** Chart input from a loaded run and each design's series (same order as run.designs). */
export function chartData(run: LoadedRun, series: ReadonlyArray<DesignSeries>): ChartData {
  const data: {
    -readonly [K in keyof ChartData]-?: NonNullable<ChartData[K]> extends ReadonlyArray<infer R> ? R[] : ChartData[K];
  } = {
    designs: run.designs.map((d) => d.name),
    events: 0,
    waste: [],
    wasteSnapshots: [],
    peakWaste: [],
    lockedBySite: [],
    outcomes: [],
    failureReasons: [],
    scans: [],
    coverage: [],
    eventMarks: Object.entries(run.designs[0]?.summary.eventMarks?.seqs ?? {}).flatMap(([type, seqs]) => seqs.map((seq) => ({ type, seq }))),
  };
  run.designs.forEach((d, i) => {
    const s = series[i]!;
    const design = d.name;
    data.events = Math.max(data.events, d.summary.events);
    for (const p of s.waste) for (const [cause, bytes] of Object.entries(p.byCause)) data.waste.push({ design, seq: p.seq, cause, bytes });
    for (const p of s.coverage) data.coverage.push({ design, seq: p.seq, percent: p.percent });
    for (const when of ['peak', 'end'] as const) {
      const p = s.peakEnd[when];
      if (p === undefined) continue;
      for (const [cause, bytes] of Object.entries(p.byCause)) data.wasteSnapshots.push({ design, when, seq: p.seq, cause, bytes });
    }
    data.peakWaste.push({ design, bytes: d.summary.metrics.peakWasteBytes });
    // rates per workload event: the pipeline gives them per 1,000 events
    const whole = s.siteRates[0];
    if (whole !== undefined) {
      for (const [site, rate] of Object.entries(whole.rates)) data.lockedBySite.push({ design, site, rate: rate / 1000 });
    } else if (d.summary.events > 0) {
      for (const [site, n] of Object.entries(d.summary.metrics.lockedOpsBySite)) data.lockedBySite.push({ design, site, rate: n / d.summary.events });
    }
    for (const [caller, results] of Object.entries(s.scans.byCaller)) {
      for (const [result, count] of Object.entries(results)) data.scans.push({ design, caller, result, count });
    }
    for (const [outcome, o] of Object.entries(d.summary.outcomes)) {
      data.outcomes.push({ design, outcome, ok: o.ok, failed: o.failed });
      for (const [reason, count] of Object.entries(o.reasons)) data.failureReasons.push({ design, outcome, reason, count });
    }
  });
  return data;
}
