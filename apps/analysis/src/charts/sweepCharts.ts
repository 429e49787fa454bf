/**
 * A metric against a swept parameter (or tunable): per design the mean
 * across seeds as a line with its 95 % t interval as a band, and a dot per
 * seed. When other swept columns vary too, one panel per combination of them.
 */
import * as Plot from '@observablehq/plot';
import { composeSvg, plotDocument } from './compose.js';
import type { RenderedChart } from './data.js';
import { byteUnit, fmtInt } from './format.js';
import { CHART_WIDTH, FONT_FAMILY, designColor } from './style.js';

const STYLE = { background: 'white', fontFamily: FONT_FAMILY, fontSize: '12px', color: '#222', overflow: 'visible' };

export interface SweepChartInput {
  metric: string;
  title: string;
  kind: 'bytes' | 'percent' | 'rate' | 'count';
  x: string;
  designs: ReadonlyArray<string>;
  /** one per cell */
  dots: ReadonlyArray<{ design: string; x: number; panel: string; value: number }>;
  /** one per design, x value and panel */
  means: ReadonlyArray<{ design: string; x: number; panel: string; mean: number; low?: number; high?: number }>;
}

export function sweepChart(c: SweepChartInput, width = CHART_WIDTH): RenderedChart {
  const maxAbs = Math.max(0, ...c.dots.map((d) => Math.abs(d.value)), ...c.means.map((m) => Math.abs(m.high ?? m.mean)));
  const unit = c.kind === 'bytes' ? byteUnit(maxAbs) : { name: c.kind === 'percent' ? '%' : '', bytes: 1 };
  const s = (v: number) => v / unit.bytes;
  const panels = [...new Set(c.means.map((m) => m.panel))];
  const means = c.means.map((m) => ({
    ...m,
    mean: s(m.mean),
    low: m.low === undefined ? undefined : s(m.low),
    high: m.high === undefined ? undefined : s(m.high),
  }));
  const dots = c.dots.map((d) => ({ ...d, value: s(d.value) }));
  const xs = [...new Set(c.means.map((m) => m.x))].sort((a, b) => a - b);
  const facetH = 220;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: panels.length * (facetH + 16) + 70,
    marginLeft: 70,
    marginRight: panels.length > 1 ? 170 : 30,
    marginBottom: 44,
    style: STYLE,
    x: { label: `${c.x} →`, labelAnchor: 'right', ticks: xs, tickFormat: (d: number) => fmtInt(d), grid: true },
    y: { label: `↑ ${c.title}${unit.name ? ` (${unit.name})` : ''}`, grid: true, nice: true, zero: true },
    ...(panels.length > 1 ? { fy: { domain: panels, label: null, axis: 'right' as const } } : {}),
    color: { domain: [...c.designs], range: c.designs.map((_, i) => designColor(i)) },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.areaY(
        means.filter((m) => m.low !== undefined),
        { x: 'x', y1: 'low', y2: 'high', fill: 'design', fillOpacity: 0.15, z: 'design', ...(panels.length > 1 ? { fy: 'panel' } : {}) },
      ),
      Plot.lineY(means, { x: 'x', y: 'mean', stroke: 'design', strokeWidth: 2, z: 'design', ...(panels.length > 1 ? { fy: 'panel' } : {}) }),
      Plot.dot(dots, { x: 'x', y: 'value', stroke: 'design', fill: 'white', r: 3, strokeWidth: 1.2, ...(panels.length > 1 ? { fy: 'panel' } : {}) }),
    ],
  });
  const title = `${c.title} against ${c.x}`;
  return {
    id: `sweep-${c.metric}-vs-${c.x}`,
    title,
    caption: `${c.title} against ${c.x}: per design the mean across seeds (line) with its 95 % Student t interval (band), and one dot per seed${panels.length > 1 ? '; one panel per combination of the other swept columns' : ''}.`,
    svg: composeSvg({
      title,
      legendTitle: 'design:',
      legend: c.designs.map((d, i) => ({ label: i === 0 ? `${d} (baseline)` : d, color: designColor(i) })),
      plot,
      width,
    }),
  };
}
