import * as Plot from '@observablehq/plot';
import { countAxis, designLegend, designScale, max, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { fmtInt } from './format.js';

const SCAN_NOTES: Record<string, string> = {
  SCAN_PMD_MAPPED: 'already PMD-mapped, not an attempt',
  SCAN_PMD_NULL: 'no page table, not an attempt',
};

/** khugepaged scan results (SCAN_*) per design. */
export function scansChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const scans = data.scans ?? [];
  const callers = new Set(scans.map((r) => r.caller));
  const keyOf = (r: { caller: string; result: string }): string =>
    `${r.result}${SCAN_NOTES[r.result] ? ` (${SCAN_NOTES[r.result]})` : ''}${callers.size > 1 || !callers.has('khugepaged') ? ` [${r.caller}]` : ''}`;
  const peak = new Map<string, number>();
  for (const r of scans) peak.set(keyOf(r), Math.max(peak.get(keyOf(r)) ?? 0, r.count));
  const keys = [...peak.keys()].sort(
    (a, b) => Number(b.startsWith('SCAN_SUCCEED')) - Number(a.startsWith('SCAN_SUCCEED')) || peak.get(b)! - peak.get(a)! || a.localeCompare(b),
  );
  const rows = keys.flatMap((key) =>
    designs.map((design) => ({ design, key, count: scans.filter((r) => r.design === design && keyOf(r) === key).reduce((a, r) => a + r.count, 0) })),
  );
  const totals = designs.map((d) => scans.filter((r) => r.design === d).reduce((a, r) => a + r.count, 0));
  const xMax = max(rows.map((r) => r.count));
  const facets = keys.length ? keys : ['(no scans)'];
  const longest = Math.max(...facets.map((s) => s.length));
  const barH = 15;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: facets.length * (designs.length * barH + 12) + 50,
    marginLeft: Math.min(420, 20 + longest * 7.6),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: countAxis(xMax, 'khugepaged_scan results (count) →'),
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: facets, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x: 'count', y: 'design', fy: 'key', fill: 'design' }),
      Plot.text(rows, {
        x: 'count',
        y: 'design',
        fy: 'key',
        text: (r: { count: number; design: string }) => {
          const t = totals[designs.indexOf(r.design)]!;
          return r.count === 0 ? '0' : `${fmtInt(r.count)} (${((100 * r.count) / t).toFixed(0)}%)`;
        },
        textAnchor: 'start',
        dx: 4,
        fill: '#333',
        fontSize: 11,
      }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0 ? [Plot.text(['khugepaged scanned nothing in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'khugepaged scan results (SCAN_*)';
  return {
    id: 'khugepaged-scans',
    title,
    caption: `Every khugepaged_scan of the run by its result, per design, with its share of that design's scans (${designs.map((d, i) => `${d}: ${fmtInt(totals[i]!)}`).join(', ')} scans). SCAN_SUCCEED is a collapse; SCAN_EXCEED_SHARED_PTE is the sharedness policy refusing one.`,
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs), plot, width }),
  };
}
