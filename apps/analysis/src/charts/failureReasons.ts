import * as Plot from '@observablehq/plot';
import { countAxis, designLegend, designScale, max, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { fmtInt } from './format.js';
import { topSitesWithOther } from './lockedSites.js';
import { outcomeLabel } from './outcomeLabels.js';

/** Failure reasons per outcome, per design (khugepaged's SCAN_* results have their own chart when scans were logged). */
export function reasonsChart(data: ChartData, width: number, topN: number): RenderedChart {
  const designs = data.designs;
  const scansCharted = (data.scans ?? []).length > 0;
  const keyed = data.failureReasons
    .filter((r) => r.count > 0 && !(scansCharted && r.outcome === 'collapse'))
    .map((r) => ({ design: r.design, site: `${outcomeLabel(r.outcome)}: ${r.reason}`, rate: r.count }));
  const top = topSitesWithOther(keyed, topN);
  const keys = top.sites.length ? top.sites : ['(no failures)'];
  const rows = top.sites.flatMap((key) =>
    designs.map((design) => ({ design, key, count: top.rows.filter((r) => r.site === key && r.design === design).reduce((a, r) => a + r.rate, 0) })),
  );
  const xMax = max(rows.map((r) => r.count));
  const longest = Math.max(...keys.map((s) => s.length));
  const barH = 15;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: keys.length * (designs.length * barH + 12) + 50,
    marginLeft: Math.min(380, 20 + longest * 7.6),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: countAxis(xMax, 'failures (count) →'),
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: keys, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x: 'count', y: 'design', fy: 'key', fill: 'design' }),
      Plot.text(rows, {
        x: 'count',
        y: 'design',
        fy: 'key',
        text: (r: { count: number }) => fmtInt(r.count),
        textAnchor: 'start',
        dx: 4,
        fill: '#333',
        fontSize: 11,
      }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0
        ? [
            Plot.text(
              [
                `no failed ${scansCharted ? "split, migration, CMA allocation or other operation (khugepaged's SCAN_* results have their own chart)" : 'operation'} in any design`,
              ],
              { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' },
            ),
          ]
        : []),
    ],
  });
  const title = 'Failure reasons';
  return {
    id: 'failure-reasons',
    title,
    caption: `Why operations failed, as "operation: reason" with the kernel's reason, counted over the whole run per design${scansCharted ? " (khugepaged's SCAN_* results have their own chart)" : ''}${top.grouped > 0 ? ` (the ${top.grouped} rarer reasons summed as "other")` : ''}.`,
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs), plot, width }),
  };
}
