/**
 * A metric across seeds, one row per design: a dot per seed, the mean as a
 * tick and its 95 % t interval as a bar. Wide bars that overlap say the
 * seeds disagree more than the designs do.
 */
import * as Plot from '@observablehq/plot';
import { composeSvg, plotDocument } from './compose.js';
import type { RenderedChart } from './data.js';
import { byteUnit } from './format.js';
import { CHART_WIDTH, FONT_FAMILY, designColor } from './style.js';

const STYLE = { background: 'white', fontFamily: FONT_FAMILY, fontSize: '12px', color: '#222', overflow: 'visible' };

export interface ReplicateChartInput {
  id: string;
  title: string;
  /** axis label without the unit */
  label: string;
  kind: 'bytes' | 'percent' | 'rate' | 'count';
  designs: ReadonlyArray<string>;
  /** one value per seed and design */
  values: ReadonlyArray<{ design: string; seed: number; value: number }>;
  /** mean and interval per design (interval absent with one seed) */
  means: ReadonlyArray<{ design: string; mean: number; low?: number; high?: number }>;
}

export function replicateChart(c: ReplicateChartInput, width = CHART_WIDTH): RenderedChart {
  const maxAbs = Math.max(0, ...c.values.map((v) => Math.abs(v.value)), ...c.means.map((m) => Math.abs(m.high ?? m.mean)));
  const unit = c.kind === 'bytes' ? byteUnit(maxAbs) : { name: c.kind === 'percent' ? '%' : '', bytes: 1 };
  const scale = (v: number) => v / unit.bytes;
  const label = `${c.label}${unit.name ? ` (${unit.name})` : ''} →`;
  const rowOf = (d: string) => `${d}${c.designs.indexOf(d) === 0 ? ' (baseline)' : ''}`;
  const dots = c.values.map((v) => ({ row: rowOf(v.design), x: scale(v.value), design: v.design }));
  const bars = c.means
    .filter((m) => m.low !== undefined && m.high !== undefined)
    .map((m) => ({ row: rowOf(m.design), x1: scale(m.low!), x2: scale(m.high!), design: m.design }));
  const ticks = c.means.map((m) => ({ row: rowOf(m.design), x: scale(m.mean), design: m.design }));
  const rows = c.designs.map(rowOf);
  const colors = c.designs.map((_, i) => designColor(i));
  const longest = Math.max(...rows.map((r) => r.length));
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: rows.length * 38 + 60,
    marginLeft: Math.min(300, 20 + longest * 7),
    marginRight: 30,
    marginBottom: 44,
    style: STYLE,
    x: { label, labelAnchor: 'right', grid: true, nice: true },
    y: { domain: rows, label: null, padding: 0.3 },
    color: { domain: [...c.designs], range: colors },
    marks: [
      Plot.barX(bars, { x1: 'x1', x2: 'x2', y: 'row', fill: 'design', fillOpacity: 0.22 }),
      Plot.tickX(ticks, { x: 'x', y: 'row', stroke: 'design', strokeWidth: 3 }),
      Plot.dot(dots, { x: 'x', y: 'row', stroke: 'design', fill: 'white', r: 4, strokeWidth: 1.5 }),
    ],
  }) as unknown as SVGSVGElement;
  const legend = [
    { label: 'one seed', color: '#555', dot: true },
    { label: 'mean (tick) and its 95 % t interval (bar)', color: '#999', light: true },
  ];
  return {
    id: `replicates-${c.id}`,
    title: c.title,
    caption: `${c.title} on every seed (dots), with the mean (tick) and its 95 % Student t interval (shaded bar), one row per design.`,
    svg: composeSvg({ title: c.title, legend, plot, width }),
  };
}
