import { Subject, connectable, forkJoin, lastValueFrom, toArray } from 'rxjs';
import type { ChartData } from '../charts/data.js';
import { readObservations } from '../io/readObservations.js';
import { hugeCoverage, type CoveragePoint } from '../pipelines/hugeCoverage.js';
import { lockedOpsRates, type RateWindow } from '../pipelines/lockedOpsRates.js';
import { outcomeCounts, type OutcomeTable } from '../pipelines/outcomeCounts.js';
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
}

/** Reads one design's observation log once, feeding every pipeline from the same pass. */
export async function collectDesign(d: DesignRun): Promise<DesignSeries> {
  const bucket = Math.max(1, Math.ceil(d.summary.events / MAX_PLOTTED_SAMPLES));
  const log = connectable(readObservations(d.observationsPath), { connector: () => new Subject(), resetOnDisconnect: false });
  const s$ = log.pipe(samples());
  const result = lastValueFrom(
    forkJoin({
      waste: s$.pipe(thinSamples(bucket), wasteByCause(), toArray()),
      coverage: s$.pipe(thinSamples(bucket), hugeCoverage(), toArray()),
      siteRates: s$.pipe(lockedOpsRates({ by: 'site', windowEvents: Infinity }), toArray()),
      kindRates: s$.pipe(lockedOpsRates({ by: 'kind', windowEvents: Infinity }), toArray()),
      outcomes: log.pipe(outcomeCounts()),
    }),
  );
  log.connect();
  return result;
}

/** Differences between the outcome counts in the log and in summary.json, as sentences. */
export function outcomeMismatches(d: DesignRun, fromLog: OutcomeTable): string[] {
  const out: string[] = [];
  const names = new Set([...Object.keys(d.summary.outcomes), ...Object.keys(fromLog)]);
  for (const n of [...names].sort()) {
    const a = d.summary.outcomes[n];
    const b = fromLog[n];
    const ok = [a?.ok ?? 0, b?.ok ?? 0];
    const failed = [a?.failed ?? 0, b?.failed ?? 0];
    if (ok[0] !== ok[1] || failed[0] !== failed[1]) {
      out.push(`${d.name}: ${n} is ${ok[0]} ok / ${failed[0]} failed in summary.json but ${ok[1]} ok / ${failed[1]} failed in observations.jsonl`);
    }
  }
  return out;
}

/** Chart input from a loaded run and each design's series (same order as run.designs). */
export function chartData(run: LoadedRun, series: ReadonlyArray<DesignSeries>): ChartData {
  const data: {
    [K in keyof ChartData]: ChartData[K] extends ReadonlyArray<infer R> ? R[] : ChartData[K];
  } = { designs: run.designs.map((d) => d.name), events: 0, waste: [], lockedBySite: [], outcomes: [], failureReasons: [], coverage: [] };
  run.designs.forEach((d, i) => {
    const s = series[i]!;
    const design = d.name;
    data.events = Math.max(data.events, d.summary.events);
    for (const p of s.waste) for (const [cause, bytes] of Object.entries(p.byCause)) data.waste.push({ design, seq: p.seq, cause, bytes });
    for (const p of s.coverage) data.coverage.push({ design, seq: p.seq, percent: p.percent });
    const whole = s.siteRates[0];
    if (whole !== undefined) {
      for (const [site, rate] of Object.entries(whole.rates)) data.lockedBySite.push({ design, site, rate });
    } else if (d.summary.events > 0) {
      for (const [site, n] of Object.entries(d.summary.metrics.lockedOpsBySite)) data.lockedBySite.push({ design, site, rate: (n * 1000) / d.summary.events });
    }
    for (const [outcome, o] of Object.entries(d.summary.outcomes)) {
      data.outcomes.push({ design, outcome, ok: o.ok, failed: o.failed });
      for (const [reason, count] of Object.entries(o.reasons)) data.failureReasons.push({ design, outcome, reason, count });
    }
  });
  return data;
}
