import * as Plot from '@observablehq/plot';
import { designLegend, designScale, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { fmtInt } from './format.js';
import { chartedOutcomes, outcomeLabel } from './outcomeLabels.js';

/** Attempts per outcome, successes solid and failures light, per design; each operation on its own scale. */
export function outcomesChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const names = chartedOutcomes(data);
  const rows = names.flatMap((outcome) => {
    const per = designs.map((design) => {
      const r = data.outcomes.find((o) => o.outcome === outcome && o.design === design);
      return { design, outcome: outcomeLabel(outcome), ok: r?.ok ?? 0, failed: r?.failed ?? 0 };
    });
    const most = Math.max(1, ...per.map((r) => r.ok + r.failed));
    return per.map((r) => ({ ...r, okF: r.ok / most, allF: (r.ok + r.failed) / most }));
  });
  const label = (r: { ok: number; failed: number }): string =>
    r.ok + r.failed === 0
      ? 'none'
      : r.failed === 0
        ? `${fmtInt(r.ok)} ok`
        : `${fmtInt(r.ok)} ok · ${fmtInt(r.failed)} failed (${((100 * r.failed) / (r.ok + r.failed)).toFixed(0)}%)`;
  const barH = 16;
  const facets = names.length ? names.map(outcomeLabel) : ['(none)'];
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: facets.length * (designs.length * barH + 14) + 30,
    marginLeft: 170,
    marginRight: 40,
    marginTop: 4,
    marginBottom: 20,
    style: STYLE,
    x: { domain: [0, 1.6], axis: null },
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: facets, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x1: 0, x2: 'okF', y: 'design', fy: 'outcome', fill: 'design' }),
      Plot.barX(rows, { x1: 'okF', x2: 'allF', y: 'design', fy: 'outcome', fill: 'design', fillOpacity: 0.22, stroke: 'design', strokeWidth: 1 }),
      Plot.text(rows, { x: 'allF', y: 'design', fy: 'outcome', text: label, textAnchor: 'start', dx: 4, fill: '#333', fontSize: 11 }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(names.length === 0
        ? [Plot.text(['no operation with an outcome was attempted in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })]
        : []),
    ],
  });
  const title = 'Outcomes: faults, splits, collapses, migrations, ...';
  return {
    id: 'outcomes',
    title,
    caption:
      'Attempts of each operation over the whole run (summary.json outcomes), per design: the solid part succeeded, the light outlined part failed. Each operation is drawn on its own scale (its longest bar is the design with the most attempts); the counts are the labels. Operations no design attempted are left out.',
    svg: composeSvg({
      title,
      legendTitle: 'design:',
      legend: [...designLegend(designs), { label: 'failed (light)', color: '#777', light: true }],
      plot,
      width,
    }),
  };
}
