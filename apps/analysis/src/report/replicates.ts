/**
 * A replicated comparison: the same designs on one scenario regenerated
 * with several seeds. Per design and metric the mean with its 95 % t
 * interval; against the baseline the paired difference seed by seed, its
 * interval and the paired t-test's p-value. A difference whose interval
 * contains 0 is "no significant difference", shown in a neutral colour.
 */
import { fmtBytes, fmtInt, fmtRate, signed } from '../charts/format.js';
import { CI_METHOD, PAIRED_TEST, containsZero, replicateStats, statsCsv, type Replicate, type StatsRow } from '../stats/index.js';
import type { Summary } from '@pagelab/events';
import type { HeadlineTableView } from './page.js';
import { summaryCsv, summaryTable, type SummaryRowInput } from './csv.js';
import { summaryFrom } from './load.js';

const seedOf = (s: Summary): number => (s.workload as { seed: number }).seed;

/** One replay of a replicated comparison. */
export interface ReplicateRun {
  readonly seed: number;
  readonly design: string;
  /** a summary.json value (checked with summaryFrom) */
  readonly summary: unknown;
}

export interface ReplicateTables {
  /** one row per seed and design (seed order, designs in order) */
  readonly summaryCsv: string;
  /** one row per design and metric (stats.csv's fixed columns) */
  readonly statsCsv: string;
  readonly stats: StatsRow[];
}

/** summary.csv and stats.csv of a replicated comparison; `designs` in order, the baseline first. */
export function replicateTables(runs: ReadonlyArray<ReplicateRun>, designs: ReadonlyArray<string>): ReplicateTables {
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const checked = runs.map((r) => ({ ...r, summary: summaryFrom(r.summary, `summary of ${r.design} on seed ${r.seed}`) }));
  const find = (seed: number, design: string) => checked.find((r) => r.seed === seed && r.design === design);
  const rows: SummaryRowInput[] = [];
  for (const seed of seeds) {
    const base = find(seed, designs[0]!)?.summary;
    for (const [i, design] of designs.entries()) {
      const r = find(seed, design);
      if (r !== undefined) rows.push({ design, summary: r.summary, isBaseline: i === 0, baseline: base });
    }
  }
  const table = summaryTable(rows);
  const replicates: Replicate[] = rows.map((r) => {
    const metrics: Record<string, number> = {};
    for (const c of table.columns) {
      const v = c.get(r.summary);
      if (v !== undefined) metrics[c.name] = v;
    }
    return { design: r.design, seed: seedOf(r.summary), metrics };
  });
  const stats = replicateStats(
    replicates,
    designs,
    table.columns.map((c) => c.name),
  );
  return { summaryCsv: summaryCsv(rows), statsCsv: statsCsv(stats), stats };
}

/** The metrics of the replicated headline, with how to print them and which way is better. */
export const REPLICATE_HEADLINE = [
  { metric: 'waste_mean_bytes', title: 'waste, mean over the run', kind: 'bytes', better: 'lower' },
  { metric: 'peak_waste_bytes', title: 'peak waste', kind: 'bytes', better: 'lower' },
  { metric: 'waste_bytes', title: 'waste at end of run', kind: 'bytes', better: 'lower' },
  { metric: 'locked_ops_per_event', title: 'locked ops per event', kind: 'rate', better: 'lower' },
  { metric: 'split_page_failed', title: 'split_huge_page failures', kind: 'count', better: 'lower' },
  { metric: 'huge_coverage_mean_percent', title: 'huge-page coverage, mean over the run', kind: 'percent', better: 'higher' },
  { metric: 'huge_coverage_peak_percent', title: 'huge-page coverage, peak', kind: 'percent', better: 'higher' },
] as const;

type Kind = (typeof REPLICATE_HEADLINE)[number]['kind'];

function fmt(kind: Kind, v: number): string {
  if (kind === 'bytes') return fmtBytes(v);
  if (kind === 'percent') return `${v.toFixed(1)}%`;
  if (kind === 'rate') return fmtRate(v);
  return Math.abs(v) >= 100 || Number.isInteger(v) ? fmtInt(v) : v.toFixed(1);
}

function fmtSigned(kind: Kind, v: number): string {
  const s = kind === 'percent' ? `${Math.abs(v).toFixed(1)} pp` : fmt(kind, Math.abs(v));
  return signed(s, v < 0, v === 0);
}

export function fmtP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}

export interface ReplicateCell {
  /** mean ± half-width of the 95 % interval */
  text: string;
  /** the paired difference and its verdict; "baseline" for the first design */
  deltaText: string;
  verdict: 'better' | 'worse' | 'nsd' | 'baseline' | 'unknown';
  /** the seeds' spread: median and sd */
  note: string;
}

export interface ReplicateHeadlineRow {
  design: string;
  n: number;
  cells: Record<(typeof REPLICATE_HEADLINE)[number]['metric'], ReplicateCell>;
}

/** One row per design (in order) for the metrics of REPLICATE_HEADLINE. */
export function replicateHeadline(stats: ReadonlyArray<StatsRow>, designs: ReadonlyArray<string>): ReplicateHeadlineRow[] {
  return designs.map((design, i) => {
    const cells = {} as ReplicateHeadlineRow['cells'];
    let n = 0;
    for (const h of REPLICATE_HEADLINE) {
      const r = stats.find((s) => s.design === design && s.metric === h.metric);
      if (r === undefined || r.n === 0) {
        cells[h.metric] = { text: 'not in summary.json', deltaText: i === 0 ? 'baseline' : '', verdict: i === 0 ? 'baseline' : 'unknown', note: '' };
        continue;
      }
      n = Math.max(n, r.n);
      const half = r.ciLow === undefined || r.ciHigh === undefined ? undefined : (r.ciHigh - r.ciLow) / 2;
      const text = half === undefined ? fmt(h.kind, r.mean) : `${fmt(h.kind, r.mean)} ± ${fmt(h.kind, half)}`;
      const note = r.n >= 2 ? `median ${fmt(h.kind, r.median)}, sd ${fmt(h.kind, r.sd)}` : 'one seed: no interval';
      if (i === 0) {
        cells[h.metric] = { text, deltaText: 'baseline', verdict: 'baseline', note };
        continue;
      }
      if (r.deltaMean === undefined) {
        cells[h.metric] = { text, deltaText: 'no paired seeds', verdict: 'unknown', note };
        continue;
      }
      const ci = r.deltaCiLow === undefined || r.deltaCiHigh === undefined ? undefined : { low: r.deltaCiLow, high: r.deltaCiHigh };
      const range = ci === undefined ? '' : ` [${fmtSigned(h.kind, ci.low)}, ${fmtSigned(h.kind, ci.high)}]`;
      const p = r.pValue === undefined ? '' : `, ${fmtP(r.pValue)}`;
      const body = `Δ ${fmtSigned(h.kind, r.deltaMean)}${range}${p}`;
      if (ci === undefined) cells[h.metric] = { text, deltaText: `${body} (one seed: untested)`, verdict: 'unknown', note };
      else if (r.deltaMean === 0 && ci.low === 0 && ci.high === 0) cells[h.metric] = { text, deltaText: 'same on every seed', verdict: 'nsd', note };
      else if (containsZero(ci)) cells[h.metric] = { text, deltaText: `no significant difference (${body})`, verdict: 'nsd', note };
      else cells[h.metric] = { text, deltaText: body, verdict: r.deltaMean < 0 === (h.better === 'lower') ? 'better' : 'worse', note };
    }
    return { design, n, cells };
  });
}

/** How the numbers were made, for a report's lede and the CLI. */
export const REPLICATE_METHOD = `mean ± half-width of the 95 % ${CI_METHOD}; Δ = mean paired difference against the baseline on the same seed's log, [its 95 % t interval], ${PAIRED_TEST}`;

/** Headline cells are wider than a single comparison's: mean ± interval, then the paired delta. */
export const REPLICATE_CSS = `
td { white-space: normal; min-width: 7.5em; }
`;

/** The replicated headline (one group per sweep group, or one unlabelled group) as the page's headline table. */
export function replicateHeadlineTable(groups: ReadonlyArray<{ label?: string; rows: ReadonlyArray<ReplicateHeadlineRow> }>): HeadlineTableView {
  return {
    columns: REPLICATE_HEADLINE.map((h) => h.title),
    groups: groups.map((g) => ({
      ...(g.label !== undefined ? { label: g.label } : {}),
      rows: g.rows.map((row, index) => ({
        design: row.design,
        index,
        note: `n = ${row.n} seeds`,
        cells: REPLICATE_HEADLINE.map((h) => row.cells[h.metric]),
      })),
    })),
  };
}
