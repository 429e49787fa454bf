import * as Plot from '@observablehq/plot';
import { designLegend, designScale, seqAxis, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { eventMarkLayer } from './eventMarks.js';

/** Huge-page coverage over time, one panel per design (lines on one axis hid each other), marked where khugepaged, reclaim, fork and compaction ran. */
export function coverageChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const counts = new Map<string, number>();
  for (const r of data.coverage) counts.set(r.design, (counts.get(r.design) ?? 0) + 1);
  const single = data.coverage.filter((r) => counts.get(r.design) === 1);
  const allZero = data.coverage.every((r) => r.percent === 0);
  const rowOf = (d: string): string => `${d}${designs.indexOf(d) === 0 ? ' (baseline)' : ''}`;
  const rows = data.coverage.map((r) => ({ ...r, row: rowOf(r.design) }));
  const ev = eventMarkLayer(data);
  const facetH = 90;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: designs.length * (facetH + 14) + 80,
    marginLeft: 64,
    marginRight: 150,
    marginTop: 20,
    marginBottom: 44,
    style: STYLE,
    x: seqAxis(data.events),
    y: { domain: [0, 100], ticks: [0, 50, 100], label: '↑ huge-page coverage (% of mapped user memory)', grid: true },
    fy: { domain: designs.map(rowOf), label: null, padding: 0.15, axis: 'right' },
    color: designScale(designs),
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      ...ev.marks,
      Plot.areaY(
        rows.filter((r) => counts.get(r.design)! > 1),
        { x: 'seq', y: 'percent', fy: 'row', fill: 'design', fillOpacity: 0.18, curve: 'step-after' },
      ),
      Plot.lineY(
        rows.filter((r) => counts.get(r.design)! > 1),
        { x: 'seq', y: 'percent', fy: 'row', stroke: 'design', strokeWidth: 1.5, curve: 'step-after' },
      ),
      Plot.dot(
        single.map((r) => ({ ...r, row: rowOf(r.design) })),
        { x: 'seq', y: 'percent', fy: 'row', fill: 'design', r: 5, stroke: 'white' },
      ),
      ...(allZero && data.coverage.length > 0
        ? [Plot.text(['no PMD-mapped memory in any design (all at 0%)'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })]
        : []),
    ],
  });
  const title = 'Huge-page coverage over time';
  return {
    id: 'huge-coverage',
    title,
    caption:
      'Share of mapped user memory that is mapped by PMDs (2 MiB huge pages) after each metric sample, one panel per design; a design with a single sample is a dot. ' +
      'Thin vertical rules mark where the log ran khugepaged, reclaim, fork or compaction (the same log under every design).',
    svg: composeSvg({ title, legendTitle: 'design:', legend: [...designLegend(designs), ...ev.legend], plot, width }),
  };
}
