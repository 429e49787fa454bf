import * as Plot from '@observablehq/plot';
import { type LegendItem } from './compose.js';
import { type ChartData } from './data.js';
import { fmtInt } from './format.js';

/** Colours of the event marks in time charts: muted, and unlike the design colours. */
const MARK_COLORS: Record<string, string> = { khugepaged: '#7b6fb0', reclaim: '#b07b52', fork: '#5a9e6f', compact: '#8a8a8a' };
const MARK_LABELS: Record<string, string> = { khugepaged: 'khugepaged pass', reclaim: 'reclaim', fork: 'fork', compact: 'compaction' };

/** Thin vertical rules where the marked events happened, repeated in every panel, and their legend. */
export function eventMarkLayer(data: ChartData): { marks: Plot.Markish[]; legend: LegendItem[] } {
  const rows = data.eventMarks ?? [];
  const types = Object.keys(MARK_COLORS).filter((t) => rows.some((r) => r.type === t));
  return {
    marks: types.map((t) =>
      Plot.ruleX(
        rows.filter((r) => r.type === t),
        { x: 'seq', stroke: MARK_COLORS[t], strokeOpacity: 0.45, strokeWidth: 1 },
      ),
    ),
    legend: types.map((t) => ({ label: `${MARK_LABELS[t]} (${fmtInt(rows.filter((r) => r.type === t).length)})`, color: MARK_COLORS[t]! })),
  };
}
