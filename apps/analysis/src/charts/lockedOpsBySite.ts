import * as Plot from '@observablehq/plot';
import { designLegend, designScale, max, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { fmtRate } from './format.js';
import { topSitesWithOther } from './lockedSites.js';

/** Whole-run locked operations per workload event, top sites, designs side by side. */
export function lockedChart(data: ChartData, width: number, topN: number): RenderedChart {
  const designs = data.designs;
  const top = topSitesWithOther(data.lockedBySite, topN);
  // every design gets a bar (0 included) in every site panel
  const rows = top.sites.flatMap((site) =>
    designs.map((design) => ({ design, site, rate: top.rows.filter((r) => r.site === site && r.design === design).reduce((a, r) => a + r.rate, 0) })),
  );
  const xMax = max(rows.map((r) => r.rate));
  const sites = top.sites.length ? top.sites : ['(no locked operations)'];
  const barH = 15;
  const longest = Math.max(...sites.map((s) => s.length));
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: sites.length * (designs.length * barH + 12) + 50,
    marginLeft: Math.min(340, 20 + longest * 7.4),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: {
      domain: [0, xMax > 0 ? xMax * 1.14 : 1],
      label: 'locked ops per workload event →',
      labelAnchor: 'right',
      grid: true,
      tickFormat: (d: number) => fmtRate(d),
    },
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: sites, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x: 'rate', y: 'design', fy: 'site', fill: 'design' }),
      Plot.text(rows, {
        x: 'rate',
        y: 'design',
        fy: 'site',
        text: (r: { rate: number }) => (r.rate === 0 ? '–' : fmtRate(r.rate)),
        textAnchor: 'start',
        dx: 4,
        fill: '#333',
        fontSize: 11,
      }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0 ? [Plot.text(['no locked operations recorded in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'Locked operations per workload event, site by site';
  return {
    id: 'locked-ops-by-site',
    title,
    caption: `The same per-event rates call site by call site, designs side by side ("–": the design never uses that site), for the busiest sites (each design's own busiest included)${top.grouped > 0 ? `, the other ${top.grouped} summed as "other"` : ''}.`,
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs), plot, width }),
  };
}
