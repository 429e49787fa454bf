import * as Plot from '@observablehq/plot';
import { max, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { fmtRate } from './format.js';
import { topSitesWithOther } from './lockedSites.js';
import { SITE_PALETTE } from './style.js';

/** Ratio text against the baseline: "4.1× baseline", "0.24× baseline". */
function ratioText(v: number, base: number): string {
  if (base === 0) return '';
  if (v === base) return 'same as baseline';
  const r = v / base;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(r >= 1 ? 1 : 2)}× baseline`;
}

/** Whole-run locked operations per workload event, one stacked bar per design, split by call site. */
export function lockedPerEventChart(data: ChartData, width: number, topN: number): RenderedChart {
  const designs = data.designs;
  const top = topSitesWithOther(data.lockedBySite, topN);
  const sites = top.sites;
  const colors = sites.map((s, i) => (s.startsWith('other (') ? '#d0d0d0' : SITE_PALETTE[i % SITE_PALETTE.length]!));
  const rows = top.rows.filter((r) => r.rate > 0);
  const totals = designs.map((d) => rows.filter((r) => r.design === d).reduce((a, r) => a + r.rate, 0));
  const xMax = max(totals);
  const plotW = width - 40 - 150;
  const minLabel = xMax > 0 ? (xMax * 1.5 * 90) / plotW : Infinity; // a segment this wide (in data units) fits a ~90 px label
  const barH = 30;
  const longest = Math.max(...designs.map((d, i) => d.length + (i === 0 ? 11 : 0)), 6);
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: designs.length * (barH + 12) + 60,
    marginLeft: Math.min(260, 24 + longest * 7.4),
    marginRight: 40,
    marginTop: 8,
    marginBottom: 44,
    style: STYLE,
    x: {
      domain: [0, xMax > 0 ? xMax * 1.5 : 1],
      label: 'locked ops per workload event →',
      labelAnchor: 'right',
      grid: true,
      tickFormat: (d: number) => fmtRate(d),
    },
    y: { domain: [...designs], label: null, axis: 'left', padding: 0.25, tickFormat: (d: string) => (d === designs[0] ? `${d} (baseline)` : d) },
    color: { domain: sites, range: colors },
    marks: [
      Plot.barX(rows, Plot.stackX({ x: 'rate', y: 'design', fill: 'site', order: sites, stroke: 'white', strokeWidth: 0.5 })),
      Plot.text(
        rows,
        Plot.stackX({
          x: 'rate',
          y: 'design',
          order: sites,
          z: 'site',
          text: (r: { site: string; rate: number }) => (r.rate >= minLabel ? r.site : ''),
          fill: '#111',
          fontSize: 10,
        }),
      ),
      Plot.text(
        designs.map((d, i) => ({ design: d, total: totals[i]! })),
        {
          x: 'total',
          y: 'design',
          text: (r: { design: string; total: number }) => {
            const i = designs.indexOf(r.design);
            const ratio = i === 0 ? '' : ratioText(r.total, totals[0]!);
            return `${fmtRate(r.total)} per event${ratio ? ` (${ratio})` : ''}`;
          },
          textAnchor: 'start',
          dx: 5,
          fontWeight: 'bold',
          fill: '#222',
        },
      ),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0 ? [Plot.text(['no locked operations recorded in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'Locked operations per workload event, by call site';
  return {
    id: 'locked-ops-per-event',
    title,
    caption: `Atomic RMW instructions and lock acquisitions on page metadata per workload event over the whole run, one bar per design split by the call site that paid them (the ${sites.length - (top.grouped > 0 ? 1 : 0)} busiest sites${top.grouped > 0 ? `, the other ${top.grouped} as "other"` : ''}); the total and its ratio to the baseline are at the end of each bar.`,
    svg: composeSvg({
      title,
      legendTitle: 'site:',
      legend: sites.length ? sites.map((s, i) => ({ label: s, color: colors[i]! })) : [{ label: 'no locked operations', color: '#ddd' }],
      plot,
      width,
    }),
  };
}
