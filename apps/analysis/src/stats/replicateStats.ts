/**
 * stats.csv's rows: per design and metric across seeds n, mean, sd, median
 * and the 95 % t interval of the mean; against the baseline (the first
 * design) the paired difference seed by seed with its interval and the
 * paired t-test's p-value. The baseline's delta fields are undefined.
 */
import { describe } from './describe.js';
import { meanCi } from './meanCi.js';
import { pairedDifference } from './pairedDifference.js';

/** One replay's numbers: a design on one seed's log. */
export interface Replicate {
  readonly design: string;
  readonly seed: number;
  /** metric name (a summary.csv column) -> value; a missing or non-finite value is left out of that metric */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface StatsRow {
  readonly design: string;
  readonly metric: string;
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly median: number;
  readonly ciLow: number | undefined;
  readonly ciHigh: number | undefined;
  readonly deltaMean: number | undefined;
  readonly deltaCiLow: number | undefined;
  readonly deltaCiHigh: number | undefined;
  readonly pValue: number | undefined;
}

/**
 * `designs` in order, the baseline first; `metrics` in column order. Pairs
 * are the seeds both the design and the baseline have a value for.
 */
export function replicateStats(replicates: readonly Replicate[], designs: readonly string[], metrics: readonly string[]): StatsRow[] {
  const bySeed = new Map<string, Map<number, Readonly<Record<string, number>>>>();
  for (const r of replicates) {
    let m = bySeed.get(r.design);
    if (m === undefined) bySeed.set(r.design, (m = new Map()));
    if (m.has(r.seed)) throw new RangeError(`design ${r.design} has two replicates for seed ${r.seed}`);
    m.set(r.seed, r.metrics);
  }
  const baseline = designs[0];
  const base = baseline === undefined ? undefined : bySeed.get(baseline);
  const rows: StatsRow[] = [];
  for (const design of designs) {
    const mine = bySeed.get(design) ?? new Map<number, Readonly<Record<string, number>>>();
    const seeds = [...mine.keys()].sort((a, b) => a - b);
    for (const metric of metrics) {
      const value = (m: Readonly<Record<string, number>> | undefined): number | undefined => {
        const v = m?.[metric];
        return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
      };
      const xs = seeds.map((s) => value(mine.get(s))).filter((v): v is number => v !== undefined);
      const d = describe(xs);
      const ci = meanCi(xs);
      let delta: ReturnType<typeof pairedDifference> | undefined;
      if (design !== baseline && base !== undefined) {
        const pairs = seeds
          .map((s) => [value(mine.get(s)), value(base.get(s))] as const)
          .filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined);
        if (pairs.length > 0)
          delta = pairedDifference(
            pairs.map((p) => p[0]),
            pairs.map((p) => p[1]),
          );
      }
      rows.push({
        design,
        metric,
        n: d.n,
        mean: d.mean,
        sd: d.sd,
        median: d.median,
        ciLow: ci?.low,
        ciHigh: ci?.high,
        deltaMean: delta?.mean,
        deltaCiLow: delta?.ci?.low,
        deltaCiHigh: delta?.ci?.high,
        pValue: delta?.p,
      });
    }
  }
  return rows;
}

/** The columns of stats.csv, fixed by contract (docs/contracts.md §5). */
export const STATS_COLUMNS = [
  'design',
  'metric',
  'n',
  'mean',
  'sd',
  'median',
  'ci_low',
  'ci_high',
  'delta_mean',
  'delta_ci_low',
  'delta_ci_high',
  'p_value',
] as const;

/** Full precision (shortest round-trip form); empty for undefined and NaN. */
function num(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '' : String(v);
}

function text(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One stats.csv row's cells, in STATS_COLUMNS order (CSV-quoted where needed). */
export function statsRowCells(r: StatsRow): string[] {
  return [
    text(r.design),
    text(r.metric),
    String(r.n),
    num(r.mean),
    num(r.sd),
    num(r.median),
    num(r.ciLow),
    num(r.ciHigh),
    num(r.deltaMean),
    num(r.deltaCiLow),
    num(r.deltaCiHigh),
    num(r.pValue),
  ];
}

export function statsCsv(rows: readonly StatsRow[]): string {
  const lines = [STATS_COLUMNS.join(',')];
  for (const r of rows) lines.push(statsRowCells(r).join(','));
  return lines.join('\n') + '\n';
}
