import type { Summary } from '@pagelab/events';
import { ID_COLUMNS, idValues, metricColumns, type MetricColumn } from './summaryColumns.js';

/** A CSV cell: full precision for numbers (shortest round-trip form), quoted text where needed, empty for unknown. */
export function csvField(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One replay: a design's summary, and the baseline's summary on the same log (for the delta columns). */
export interface SummaryRowInput {
  readonly design: string;
  readonly summary: Summary;
  readonly isBaseline: boolean;
  readonly baseline: Summary | undefined;
}

/** Deltas against the baseline on the same log, for the headline metrics. */
const DELTAS: ReadonlyArray<{ name: string; of: string }> = [
  { name: 'waste_mean_delta_bytes', of: 'waste_mean_bytes' },
  { name: 'waste_delta_bytes', of: 'waste_bytes' },
  { name: 'peak_waste_delta_bytes', of: 'peak_waste_bytes' },
  { name: 'huge_coverage_mean_delta_pp', of: 'huge_coverage_mean_percent' },
  { name: 'huge_coverage_delta_pp', of: 'huge_coverage_percent' },
  { name: 'locked_ops_delta', of: 'locked_ops' },
  { name: 'split_page_failed_delta', of: 'split_page_failed' },
];

/** The header and value rows of summary.csv; `columns` are the metric columns used. */
export function summaryTable(rows: ReadonlyArray<SummaryRowInput>): {
  header: string[];
  values: Array<Array<string | number | undefined>>;
  columns: MetricColumn[];
} {
  const columns = metricColumns(rows.map((r) => r.summary));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const header = [...ID_COLUMNS, 'is_baseline', ...columns.map((c) => c.name), ...DELTAS.map((d) => d.name)];
  const values = rows.map((r) => {
    const delta = (of: string): number | undefined => {
      const c = byName.get(of)!;
      const a = c.get(r.summary);
      const b = r.baseline === undefined ? undefined : c.get(r.baseline);
      return r.isBaseline || a === undefined || b === undefined ? undefined : a - b;
    };
    return [...idValues(r.design, r.summary), r.isBaseline ? 1 : 0, ...columns.map((c) => c.get(r.summary)), ...DELTAS.map((d) => delta(d.of))];
  });
  return { header, values, columns };
}

/**
 * summary.csv: one row per replay (design, or design and seed), the
 * identifying columns first, then every metric in raw units (bytes, counts,
 * percent), then the deltas against the baseline on the same log.
 */
export function summaryCsv(rows: ReadonlyArray<SummaryRowInput>): string {
  const t = summaryTable(rows);
  return [t.header.join(','), ...t.values.map((v) => v.map(csvField).join(','))].join('\n') + '\n';
}
