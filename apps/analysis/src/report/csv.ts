import { WASTE_CAUSES } from '../types.js';
import type { HeadlineRow } from './headline.js';
import type { DesignRun } from './load.js';

function field(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** summary.csv: one row per design, raw units (bytes, counts, percent), deltas vs the baseline. */
export function summaryCsv(designs: ReadonlyArray<DesignRun>, rows: ReadonlyArray<HeadlineRow>): string {
  const header = [
    'design', 'is_baseline', 'events',
    'waste_bytes', 'waste_delta_bytes', 'peak_waste_bytes', 'peak_waste_delta_bytes',
    'locked_ops', 'locked_ops_delta', 'locked_ops_per_event', 'lock_acquisitions', 'max_lock_depth', 'nesting_violations',
    'split_page_failed', 'split_page_failed_delta', 'split_page_attempts',
    'huge_coverage_percent', 'huge_coverage_delta_pp',
    ...WASTE_CAUSES.map((c) => `waste_${c.replace(/-/g, '_')}_bytes`),
    'expectations_failed', 'invariant_violations',
    'sharedness_questions', 'sharedness_false_negatives', 'sharedness_false_positives',
    'collapses_only_by_policy', 'collapse_duplicated_bytes', 'collapse_zero_filled_bytes',
  ];
  const lines = [header.join(',')];
  rows.forEach((r, i) => {
    const m = designs[i]!.summary.metrics;
    lines.push(
      [
        r.design, i === 0 ? 1 : 0, r.events,
        r.waste.value, r.waste.delta.delta, r.peakWaste.value, r.peakWaste.delta.delta,
        r.lockedOps.value, r.lockedOps.delta.delta, r.lockedOpsPerEvent, m.lockAcquisitions, m.maxLockDepth, m.nestingViolations.length,
        r.splitFailures.value, r.splitFailures.delta.delta, r.splitAttempts,
        r.hugeCoverage.value * 100, r.hugeCoverage.delta.delta * 100,
        ...WASTE_CAUSES.map((c) => m.wasteByCause[c] ?? 0),
        r.expectationsFailed, r.invariantViolations,
        ...(['questions', 'falseNegatives', 'falsePositives', 'collapsesOnlyByPolicy', 'duplicatedBytes', 'zeroFilledBytes'] as const).map((k) => {
          const sh = designs[i]!.summary.sharedness;
          return sh === undefined ? '' : sh[k];
        }),
      ]
        .map(field)
        .join(','),
    );
  });
  return lines.join('\n') + '\n';
}
