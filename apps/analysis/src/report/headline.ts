import { deltaOf, type Delta } from '../pipelines/deltaVsBaseline.js';
import { fmtInt, fmtMiB, fmtRate, signed } from '../charts/format.js';
import { MiB } from '../metrics.js';
import type { Summary } from '../types.js';

/** Which direction is better, for colouring a delta. */
type Better = 'lower' | 'higher';

export interface HeadlineCell {
  value: number;
  delta: Delta;
  text: string;
  /** "baseline" on the first row, else the signed change vs the baseline */
  deltaText: string;
  /** whether the change is an improvement, a regression or neither */
  verdict: 'better' | 'worse' | 'same' | 'baseline';
}

export interface HeadlineRow {
  design: string;
  events: number;
  waste: HeadlineCell;
  peakWaste: HeadlineCell;
  lockedOps: HeadlineCell;
  /** locked ops per workload event */
  lockedOpsPerEvent: number;
  /** locked ops per O_DIRECT request, when the workload does direct I/O (outcome `dio`, counted per repetition) */
  lockedOpsPerDio?: number;
  /** the sample after which waste was highest, when known */
  peakSeq?: number;
  splitFailures: HeadlineCell;
  splitAttempts: number;
  /** fraction 0..1 */
  hugeCoverage: HeadlineCell;
  expectationsFailed: number;
  invariantViolations: number;
}

export const HEADLINE_COLUMNS = [
  { key: 'waste', title: 'waste at end of run' },
  { key: 'peakWaste', title: 'peak waste (highest during the run)' },
  { key: 'lockedOps', title: 'locked ops (whole run)' },
  { key: 'splitFailures', title: 'split_huge_page failures' },
  { key: 'hugeCoverage', title: 'huge-page coverage (end of run)' },
] as const;

function rel(d: Delta): string {
  if (d.delta === 0) return '';
  if (d.relative === undefined) return ' (from 0)';
  const p = d.relative * 100;
  return ` (${p >= 0 ? '+' : '−'}${Math.abs(p) < 10 ? Math.abs(p).toFixed(1) : Math.abs(p).toFixed(0)}%)`;
}

function cell(value: number, base: number, isBaseline: boolean, better: Better, text: (v: number) => string, deltaText: (d: Delta) => string): HeadlineCell {
  const delta = deltaOf(value, base);
  const verdict = isBaseline ? 'baseline' : delta.delta === 0 ? 'same' : (delta.delta < 0) === (better === 'lower') ? 'better' : 'worse';
  return { value, delta, text: text(value), deltaText: isBaseline ? 'baseline' : deltaText(delta), verdict };
}

/** One row per design, each metric with its delta against the first (baseline) design. */
export function headlineRows(designs: ReadonlyArray<{ name: string; summary: Summary }>): HeadlineRow[] {
  const base = designs[0]?.summary;
  if (base === undefined) return [];
  const splitFailed = (s: Summary): number => s.outcomes['split_page']?.failed ?? 0;
  return designs.map(({ name, summary: s }, i) => {
    const b = i === 0;
    const m = s.metrics;
    const split = s.outcomes['split_page'];
    return {
      design: name,
      events: s.events,
      waste: cell(m.wasteBytes, base.metrics.wasteBytes, b, 'lower', fmtMiB, (d) => signed(fmtMiB(Math.abs(d.delta)), d.delta < 0, d.delta === 0) + rel(d)),
      peakWaste: cell(m.peakWasteBytes, base.metrics.peakWasteBytes, b, 'lower', fmtMiB, (d) => signed(fmtMiB(Math.abs(d.delta)), d.delta < 0, d.delta === 0) + rel(d)),
      lockedOps: cell(m.lockedOps, base.metrics.lockedOps, b, 'lower', fmtInt, (d) => signed(fmtInt(Math.abs(d.delta)), d.delta < 0, d.delta === 0) + rel(d)),
      lockedOpsPerEvent: s.events > 0 ? m.lockedOps / s.events : 0,
      ...perDio(s),
      splitFailures: cell(splitFailed(s), splitFailed(base), b, 'lower', fmtInt, (d) => signed(fmtInt(Math.abs(d.delta)), d.delta < 0, d.delta === 0)),
      splitAttempts: (split?.ok ?? 0) + (split?.failed ?? 0),
      hugeCoverage: cell(m.hugeCoverage, base.metrics.hugeCoverage, b, 'higher', (v) => `${(v * 100).toFixed(1)}%`, (d) =>
        signed(`${Math.abs(d.delta * 100).toFixed(1)} pp`, d.delta < 0, d.delta === 0),
      ),
      expectationsFailed: s.expectations.failed,
      invariantViolations: s.invariantViolations,
    };
  });
}

/** Direct I/O workloads: the question of seeds/002 is the price per dio, not per log event. */
function perDio(s: Summary): { lockedOpsPerDio?: number } {
  const dios = s.outcomes['dio']?.ok ?? 0;
  return dios > 0 ? { lockedOpsPerDio: s.metrics.lockedOps / dios } : {};
}

/** Secondary text under a headline value (rate or attempts). */
export function headlineNote(row: HeadlineRow, key: (typeof HEADLINE_COLUMNS)[number]['key']): string {
  if (key === 'lockedOps') {
    const perDio = row.lockedOpsPerDio !== undefined ? `, ${fmtRate(row.lockedOpsPerDio)} per dio (whole run / dio requests)` : '';
    return `${fmtRate(row.lockedOpsPerEvent)} per event${perDio}`;
  }
  if (key === 'peakWaste' && row.peakSeq !== undefined && row.peakWaste.value > 0) return `at event ${fmtInt(row.peakSeq)}`;
  if (key === 'splitFailures') return `of ${fmtInt(row.splitAttempts)} attempts`;
  return '';
}

export { MiB };
