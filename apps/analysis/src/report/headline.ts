import { deltaOf, type Delta } from '../pipelines/deltaVsBaseline.js';
import { fmtBytes, fmtInt, fmtRate, signed } from '../charts/format.js';
import { MiB } from '../metrics.js';
import type { Summary } from '@pagelab/events';

/** Which direction is better, for colouring a delta. */
type Better = 'lower' | 'higher';

export interface HeadlineCell {
  /** NaN when the summary does not have the metric (an older summary.json) */
  value: number;
  delta: Delta;
  text: string;
  /** "baseline" on the first row, else the signed change vs the baseline */
  deltaText: string;
  /** whether the change is an improvement, a regression or neither */
  verdict: 'better' | 'worse' | 'same' | 'baseline' | 'unknown';
}

/** Locked ops of one workload event type, from the ledger calls made while applying those events. */
export interface EventCostNote {
  type: string;
  events: number;
  perEvent: number;
}

export interface HeadlineRow {
  design: string;
  events: number;
  /** time-weighted mean over the run (trapezoid over the samples) */
  wasteMean: HeadlineCell;
  waste: HeadlineCell;
  peakWaste: HeadlineCell;
  lockedOps: HeadlineCell;
  /** locked ops per workload event */
  lockedOpsPerEvent: number;
  /** the event types that took the most locked ops, each with its own cost per event (at most three) */
  eventCosts: EventCostNote[];
  /** the sample after which waste was highest, when known */
  peakSeq?: number;
  splitFailures: HeadlineCell;
  splitAttempts: number;
  /** fractions 0..1 */
  coverageMean: HeadlineCell;
  coveragePeak: HeadlineCell;
  hugeCoverage: HeadlineCell;
  expectationsFailed: number;
  invariantViolations: number;
}

export const HEADLINE_COLUMNS = [
  { key: 'wasteMean', title: 'waste, mean over the run' },
  { key: 'peakWaste', title: 'peak waste (highest during the run)' },
  { key: 'waste', title: 'waste at end of run' },
  { key: 'lockedOps', title: 'locked ops (whole run)' },
  { key: 'splitFailures', title: 'split_huge_page failures' },
  { key: 'coverageMean', title: 'huge-page coverage, mean over the run' },
  { key: 'coveragePeak', title: 'huge-page coverage, peak' },
  { key: 'hugeCoverage', title: 'huge-page coverage at end of run' },
] as const;
export type HeadlineKey = (typeof HEADLINE_COLUMNS)[number]['key'];

function rel(d: Delta): string {
  if (d.delta === 0) return '';
  if (d.relative === undefined) return ' (from 0)';
  const p = d.relative * 100;
  return ` (${p >= 0 ? '+' : '−'}${Math.abs(p) < 10 ? Math.abs(p).toFixed(1) : Math.abs(p).toFixed(0)}%)`;
}

function cell(
  value: number | undefined,
  base: number | undefined,
  isBaseline: boolean,
  better: Better,
  text: (v: number) => string,
  deltaText: (d: Delta) => string,
): HeadlineCell {
  if (value === undefined || base === undefined) {
    const v = value ?? Number.NaN;
    return {
      value: v,
      delta: { value: v, delta: Number.NaN, relative: undefined },
      text: value === undefined ? 'not in summary.json' : text(value),
      deltaText: isBaseline ? 'baseline' : 'no baseline value',
      verdict: isBaseline ? 'baseline' : 'unknown',
    };
  }
  const delta = deltaOf(value, base);
  const verdict = isBaseline ? 'baseline' : delta.delta === 0 ? 'same' : delta.delta < 0 === (better === 'lower') ? 'better' : 'worse';
  return { value, delta, text: text(value), deltaText: isBaseline ? 'baseline' : deltaText(delta), verdict };
}

const bytesDelta = (d: Delta): string => signed(fmtBytes(Math.abs(d.delta)), d.delta < 0, d.delta === 0) + rel(d);
const countDelta = (d: Delta): string => signed(fmtInt(Math.abs(d.delta)), d.delta < 0, d.delta === 0) + rel(d);
const pctText = (v: number): string => `${(v * 100).toFixed(1)}%`;
const ppDelta = (d: Delta): string => signed(`${Math.abs(d.delta * 100).toFixed(1)} pp`, d.delta < 0, d.delta === 0);

/** The event types with the most locked ops, each with its own per-event cost. */
export function eventCosts(s: Summary, top = 3): EventCostNote[] {
  return Object.entries(s.lockedOpsByEvent ?? {})
    .filter(([, c]) => c.events > 0 && c.lockedOps > 0)
    .sort((a, b) => b[1].lockedOps - a[1].lockedOps || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([type, c]) => ({ type, events: c.events, perEvent: c.lockedOps / c.events }));
}

/** One row per design, each metric with its delta against the first (baseline) design on the same log. */
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
      wasteMean: cell(s.overRun?.meanWasteBytes, base.overRun?.meanWasteBytes, b, 'lower', fmtBytes, bytesDelta),
      waste: cell(m.wasteBytes, base.metrics.wasteBytes, b, 'lower', fmtBytes, bytesDelta),
      peakWaste: cell(m.peakWasteBytes, base.metrics.peakWasteBytes, b, 'lower', fmtBytes, bytesDelta),
      lockedOps: cell(m.lockedOps, base.metrics.lockedOps, b, 'lower', fmtInt, countDelta),
      lockedOpsPerEvent: s.events > 0 ? m.lockedOps / s.events : 0,
      eventCosts: eventCosts(s),
      splitFailures: cell(splitFailed(s), splitFailed(base), b, 'lower', fmtInt, (d) => signed(fmtInt(Math.abs(d.delta)), d.delta < 0, d.delta === 0)),
      splitAttempts: (split?.ok ?? 0) + (split?.failed ?? 0),
      coverageMean: cell(s.overRun?.meanHugeCoverage, base.overRun?.meanHugeCoverage, b, 'higher', pctText, ppDelta),
      coveragePeak: cell(s.overRun?.peakHugeCoverage, base.overRun?.peakHugeCoverage, b, 'higher', pctText, ppDelta),
      hugeCoverage: cell(m.hugeCoverage, base.metrics.hugeCoverage, b, 'higher', pctText, ppDelta),
      expectationsFailed: s.expectations.failed,
      invariantViolations: s.invariantViolations,
    };
  });
}

/** Secondary text under a headline value (rate, per-operation costs, attempts). */
export function headlineNote(row: HeadlineRow, key: HeadlineKey): string {
  if (key === 'lockedOps') {
    const ops = row.eventCosts.map((c) => `${fmtRate(c.perEvent)} per ${c.type}`).join(', ');
    return `${fmtRate(row.lockedOpsPerEvent)} per event${ops ? `; ${ops} (each from its own events' ledger calls)` : ''}`;
  }
  if (key === 'peakWaste' && row.peakSeq !== undefined && row.peakWaste.value > 0) return `at event ${fmtInt(row.peakSeq)}`;
  if (key === 'splitFailures') return `of ${fmtInt(row.splitAttempts)} attempts`;
  return '';
}

export { MiB };
