/**
 * A recorded workload's kernel-observed memory beside the model's
 * prediction: AnonHugePages and RssAnon+RssShmem of the program's process
 * tree (sampled from /proc/PID/smaps_rollup and status during the normal
 * run) against the same totals the model reached at the log event each
 * sample lines up with, under one design; over the normal run's time.
 */
import * as Plot from '@observablehq/plot';
import { composeSvg, plotDocument } from './compose.js';
import { byteUnit } from './format.js';
import { CHART_WIDTH, FONT_FAMILY } from './style.js';

export interface ObservedPoint {
  readonly seq: number;
  /** ms into the normal run the sample was taken at */
  readonly tMs: number;
  readonly observedAnonHugeBytes: number;
  readonly predictedAnonHugeBytes: number;
  readonly observedRssBytes: number;
  readonly predictedRssBytes: number;
}

const SERIES = [
  { key: 'observedAnonHugeBytes', label: 'AnonHugePages, kernel', color: '#0072B2', dash: '' },
  { key: 'predictedAnonHugeBytes', label: 'AnonHugePages, model', color: '#0072B2', dash: '6,4' },
  { key: 'observedRssBytes', label: 'RssAnon+RssShmem, kernel', color: '#D55E00', dash: '' },
  { key: 'predictedRssBytes', label: 'RssAnon+RssShmem, model', color: '#D55E00', dash: '6,4' },
] as const;

/** One SVG: the four series over the log's events. */
export function observedChartSvg(points: readonly ObservedPoint[], design: string, width = CHART_WIDTH): string {
  const max = Math.max(1, ...points.flatMap((p) => [p.observedAnonHugeBytes, p.predictedAnonHugeBytes, p.observedRssBytes, p.predictedRssBytes]));
  const unit = byteUnit(max);
  const rows = SERIES.flatMap((s) => points.map((p) => ({ t: p.tMs / 1000, value: p[s.key] / unit.bytes, series: s.label })));
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: 320,
    marginLeft: 60,
    style: { background: 'white', fontFamily: FONT_FAMILY, fontSize: '12px', color: '#222', overflow: 'visible' },
    x: { label: 'normal run (s)' },
    y: { label: unit.name, grid: true, domain: [0, (max / unit.bytes) * 1.05] },
    marks: SERIES.map((s) =>
      Plot.line(
        rows.filter((r) => r.series === s.label),
        { x: 't', y: 'value', stroke: s.color, strokeWidth: 2, strokeDasharray: s.dash, curve: 'step-after' },
      ),
    ),
  });
  return composeSvg({
    title: `Kernel-observed memory vs the model under ${design}`,
    legend: SERIES.map((s) => ({ label: s.label, color: s.color, ...(s.dash ? { light: true } : {}) })),
    plot,
    width,
  });
}
