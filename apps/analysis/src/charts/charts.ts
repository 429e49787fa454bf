import * as Plot from '@observablehq/plot';
import { MiB } from '../metrics.js';
import { composeSvg, plotDocument, type LegendItem } from './compose.js';
import type { ChartData, RenderedChart } from './data.js';
import { fmtInt, fmtRate } from './format.js';
import { CHART_WIDTH, DESIGN_PALETTE, FONT_FAMILY, causeColor, designColor } from './style.js';

export interface RenderOptions {
  /** sites shown in the locked-ops chart before the rest is grouped as "other" */
  topSites?: number;
  /** failure reasons shown before the rest is grouped as "other" */
  topReasons?: number;
  width?: number;
}

const STYLE = { background: 'white', fontFamily: FONT_FAMILY, fontSize: '12px', color: '#222', overflow: 'visible' };
const OUTCOME_LABELS: Record<string, string> = {
  split_page: 'split_huge_page',
  split_pmd: 'split_huge_pmd',
  collapse: 'collapse (khugepaged)',
  migrate: 'migrate',
  cma_alloc: 'CMA alloc',
  thp_fault: 'THP fault',
  compact: 'compact',
  cow: 'CoW',
};
/** The outcomes the outcome chart always shows, in this order. */
export const CHARTED_OUTCOMES = ['split_page', 'split_pmd', 'collapse', 'migrate', 'cma_alloc'] as const;

export function outcomeLabel(name: string): string {
  return OUTCOME_LABELS[name] ?? name;
}

function designScale(designs: ReadonlyArray<string>): { domain: string[]; range: string[] } {
  return { domain: [...designs], range: designs.map((_, i) => designColor(i)) };
}

function designLegend(designs: ReadonlyArray<string>): LegendItem[] {
  return designs.map((d, i) => ({ label: i === 0 ? `${d} (baseline)` : d, color: designColor(i) }));
}

const max = (xs: Iterable<number>): number => {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
};

/** Memory waste over the workload, stacked by cause, one panel per design. */
function wasteChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const present = new Set(data.waste.filter((r) => r.bytes > 0).map((r) => r.cause));
  const canonical = Object.keys({ 'unmapped-in-thp': 0, 'truncated-retained': 0, 'collapse-bloat': 0, 'duplicated-shared': 0, 'split-blocked': 0 });
  const extra = [...present].filter((c) => !canonical.includes(c) && c !== 'unattributed').sort();
  const causes = [...canonical.filter((c) => present.has(c)), ...extra, ...(present.has('unattributed') ? ['unattributed'] : [])];
  const colors = causes.map((c) => causeColor(c, extra.indexOf(c)));
  const rows = data.waste.filter((r) => causes.includes(r.cause)).map((r) => ({ ...r, mib: r.bytes / MiB }));

  // samples per design, and stacked totals for the y domain
  const seqs = new Map<string, Set<number>>();
  const totals = new Map<string, number>();
  for (const r of data.waste) {
    (seqs.get(r.design) ?? seqs.set(r.design, new Set()).get(r.design)!).add(r.seq);
    const k = `${r.design}\u0000${r.seq}`;
    totals.set(k, (totals.get(k) ?? 0) + r.bytes / MiB);
  }
  const yMax = max(totals.values());
  const single = new Set(designs.filter((d) => (seqs.get(d)?.size ?? 0) === 1));
  const wasteOf = new Map<string, number>();
  for (const [k, v] of totals) {
    const d = k.split('\u0000')[0]!;
    wasteOf.set(d, Math.max(wasteOf.get(d) ?? 0, v));
  }
  const xMax = Math.max(1, data.events);
  const singleW = xMax * 0.012;
  const notes = designs.map((d) => {
    const n = seqs.get(d)?.size ?? 0;
    const parts: string[] = [];
    if (n === 0) parts.push('no samples');
    else if ((wasteOf.get(d) ?? 0) === 0) parts.push('no waste at any sample');
    if (n === 1) parts.push('single sample');
    return { design: d, note: parts.join(' · ') };
  });

  const facetH = 130;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: designs.length * (facetH + 16) + 80,
    marginLeft: 64,
    marginRight: 40,
    marginTop: 28,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, xMax], label: 'workload event (seq) →', labelAnchor: 'right', tickFormat: (d: number) => fmtInt(d), grid: true },
    y: { domain: [0, yMax > 0 ? yMax * 1.08 : 1], label: '↑ waste (MiB)', grid: true, nice: true },
    fy: { domain: [...designs], axis: null, padding: 0.12 },
    color: { domain: causes, range: colors },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.areaY(
        rows.filter((r) => !single.has(r.design)),
        { x: 'seq', y: 'mib', fill: 'cause', fy: 'design', order: causes, curve: 'step-before' },
      ),
      Plot.rectY(
        rows.filter((r) => single.has(r.design)),
        { x1: (r: { seq: number }) => r.seq - singleW, x2: 'seq', y: 'mib', fill: 'cause', fy: 'design', order: causes },
      ),
      Plot.ruleY([0], { stroke: '#666' }),
      Plot.text(designs, {
        fy: (d: string) => d,
        text: (d: string) => d,
        frameAnchor: 'top-left',
        dx: 6,
        dy: 6,
        fontWeight: 'bold',
        fontSize: 13,
        fill: (d: string) => designColor(designs.indexOf(d)),
      }),
      Plot.text(
        notes.filter((n) => n.note !== ''),
        { fy: 'design', text: 'note', frameAnchor: 'top', dy: 6, fill: '#555', fontStyle: 'italic' },
      ),
    ],
  });
  const legend = causes.map((c, i) => ({ label: c, color: colors[i]! }));
  return {
    id: 'waste',
    title: 'Memory waste over the workload, by cause',
    caption:
      'Bytes allocated beyond what an ideal 4 KiB kernel would need, stacked by cause at each metric sample (held until the next sample), one panel per design.',
    svg: composeSvg({ title: 'Memory waste over the workload, by cause', legendTitle: 'cause:', legend: causes.length ? legend : [{ label: 'no waste in any design', color: '#ddd' }], plot, width }),
  };
}

/**
 * Keeps `n` sites, taking each design's busiest sites in turn (so a design
 * whose sites are all quieter than the baseline's still shows its own top
 * ones), ordered by their highest rate in any design; sums the rest per design
 * as "other".
 */
export function topSitesWithOther(
  rows: ReadonlyArray<{ design: string; site: string; rate: number }>,
  n: number,
): { rows: Array<{ design: string; site: string; rate: number }>; sites: string[]; grouped: number } {
  const peak = new Map<string, number>();
  const perDesign = new Map<string, Array<{ site: string; rate: number }>>();
  for (const r of rows) {
    if (r.rate <= 0) continue;
    peak.set(r.site, Math.max(peak.get(r.site) ?? 0, r.rate));
    (perDesign.get(r.design) ?? perDesign.set(r.design, []).get(r.design)!).push(r);
  }
  const byPeak = (a: string, b: string): number => peak.get(b)! - peak.get(a)! || a.localeCompare(b);
  const all = [...peak.keys()].sort(byPeak);
  if (all.length <= n + 1) return { rows: rows.filter((r) => peak.has(r.site)).map((r) => ({ ...r })), sites: all, grouped: 0 };
  const ranked = [...perDesign.values()].map((xs) => xs.sort((a, b) => b.rate - a.rate || a.site.localeCompare(b.site)).map((x) => x.site));
  const keep = new Set<string>();
  for (let rank = 0; keep.size < n; rank++) {
    let any = false;
    for (const sites of ranked) {
      const s = sites[rank];
      if (s === undefined) continue;
      any = true;
      if (keep.size < n) keep.add(s);
    }
    if (!any) break;
  }
  const other = new Map<string, number>();
  const out: Array<{ design: string; site: string; rate: number }> = [];
  for (const r of rows) {
    if (keep.has(r.site)) out.push({ ...r });
    else if (peak.has(r.site)) other.set(r.design, (other.get(r.design) ?? 0) + r.rate);
  }
  const grouped = all.length - keep.size;
  const otherName = `other (${grouped} sites)`;
  for (const [design, rate] of other) out.push({ design, site: otherName, rate });
  return { rows: out, sites: [...[...keep].sort(byPeak), otherName], grouped };
}

/** Whole-run locked operations per 1,000 events, top sites, designs side by side. */
function lockedChart(data: ChartData, width: number, topN: number): RenderedChart {
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
    marginLeft: Math.min(300, 16 + longest * 7.2),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, xMax > 0 ? xMax * 1.14 : 1], label: 'locked ops per 1,000 workload events →', labelAnchor: 'right', grid: true, tickFormat: (d: number) => fmtRate(d) },
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: sites, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x: 'rate', y: 'design', fy: 'site', fill: 'design' }),
      Plot.text(rows, { x: 'rate', y: 'design', fy: 'site', text: (r: { rate: number }) => fmtRate(r.rate), textAnchor: 'start', dx: 4, fill: '#333', fontSize: 11 }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0 ? [Plot.text(['no locked operations recorded in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'Locked operations per 1,000 events, by call site';
  return {
    id: 'locked-ops-by-site',
    title,
    caption: `Atomic RMW instructions and lock acquisitions on page metadata per 1,000 workload events over the whole run, for the busiest call sites (each design's own busiest included)${top.grouped > 0 ? ` (the other ${top.grouped} summed as "other")` : ''}, designs side by side.`,
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs), plot, width }),
  };
}

/** Attempts per outcome, successes solid and failures light, per design. */
function outcomesChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const rows = CHARTED_OUTCOMES.flatMap((outcome) =>
    designs.map((design) => {
      const r = data.outcomes.find((o) => o.outcome === outcome && o.design === design);
      return { design, outcome: outcomeLabel(outcome), ok: r?.ok ?? 0, failed: r?.failed ?? 0 };
    }),
  );
  const xMax = max(rows.map((r) => r.ok + r.failed));
  const label = (r: { ok: number; failed: number }): string =>
    r.ok + r.failed === 0 ? 'no attempts' : `${fmtInt(r.ok)} ok · ${fmtInt(r.failed)} failed (${((100 * r.failed) / (r.ok + r.failed)).toFixed(0)}%)`;
  const barH = 16;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: CHARTED_OUTCOMES.length * (designs.length * barH + 14) + 50,
    marginLeft: 170,
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, xMax > 0 ? xMax * 1.45 : 1], label: 'attempts (count) →', labelAnchor: 'right', grid: true, tickFormat: (d: number) => fmtInt(d) },
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: CHARTED_OUTCOMES.map(outcomeLabel), label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x1: 0, x2: 'ok', y: 'design', fy: 'outcome', fill: 'design' }),
      Plot.barX(rows, { x1: 'ok', x2: (r: { ok: number; failed: number }) => r.ok + r.failed, y: 'design', fy: 'outcome', fill: 'design', fillOpacity: 0.22, stroke: 'design', strokeWidth: 1 }),
      Plot.text(rows, { x: (r: { ok: number; failed: number }) => r.ok + r.failed, y: 'design', fy: 'outcome', text: label, textAnchor: 'start', dx: 4, fill: '#333', fontSize: 11 }),
      Plot.ruleX([0], { stroke: '#666' }),
    ],
  });
  const title = 'Outcomes: split, collapse, migration, CMA';
  return {
    id: 'outcomes',
    title,
    caption: 'Attempts of each operation over the whole run, per design: the solid part succeeded, the light outlined part failed, with the failure share in brackets.',
    svg: composeSvg({
      title,
      legendTitle: 'design:',
      legend: [...designLegend(designs), { label: 'failed (light)', color: '#777', light: true }],
      plot,
      width,
    }),
  };
}

/** Failure reasons per outcome, per design. */
function reasonsChart(data: ChartData, width: number, topN: number): RenderedChart {
  const designs = data.designs;
  const keyed = data.failureReasons.filter((r) => r.count > 0).map((r) => ({ design: r.design, site: `${outcomeLabel(r.outcome)}: ${r.reason}`, rate: r.count }));
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
    marginLeft: Math.min(340, 16 + longest * 7.2),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, xMax > 0 ? xMax * 1.12 : 1], label: 'failures (count) →', labelAnchor: 'right', grid: true, tickFormat: (d: number) => fmtInt(d) },
    y: { domain: [...designs], axis: null, padding: 0.12 },
    fy: { domain: keys, label: null, axis: 'left', padding: 0.18 },
    color: designScale(designs),
    marks: [
      Plot.barX(rows, { x: 'count', y: 'design', fy: 'key', fill: 'design' }),
      Plot.text(rows, { x: 'count', y: 'design', fy: 'key', text: (r: { count: number }) => fmtInt(r.count), textAnchor: 'start', dx: 4, fill: '#333', fontSize: 11 }),
      Plot.ruleX([0], { stroke: '#666' }),
      ...(xMax === 0 ? [Plot.text(['no failed split, collapse, migration or CMA allocation in any design'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'Failure reasons';
  return {
    id: 'failure-reasons',
    title,
    caption: `Why operations failed, as "operation: reason" with the kernel's reason or SCAN_* code, counted over the whole run per design${top.grouped > 0 ? ` (the ${top.grouped} rarer reasons summed as "other")` : ''}.`,
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs), plot, width }),
  };
}

/** Huge-page coverage over time, one line per design. */
function coverageChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const counts = new Map<string, number>();
  for (const r of data.coverage) counts.set(r.design, (counts.get(r.design) ?? 0) + 1);
  const single = data.coverage.filter((r) => counts.get(r.design) === 1);
  const allZero = data.coverage.every((r) => r.percent === 0);
  // stagger identical lines a little so overlapping designs stay visible: later designs dashed
  const dashed = (d: string): string => (designs.indexOf(d) === 0 ? 'none' : `${6 + 2 * designs.indexOf(d)},3`);
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: 360,
    marginLeft: 64,
    marginRight: 40,
    marginTop: 28,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, Math.max(1, data.events)], label: 'workload event (seq) →', labelAnchor: 'right', grid: true, tickFormat: (d: number) => fmtInt(d) },
    y: { domain: [0, 100], label: '↑ huge-page coverage (% of mapped user memory)', grid: true },
    color: designScale(designs),
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      ...designs.map((d) =>
        Plot.lineY(
          data.coverage.filter((r) => r.design === d && counts.get(d)! > 1),
          { x: 'seq', y: 'percent', stroke: 'design', strokeWidth: 2, strokeDasharray: dashed(d), curve: 'step-before' },
        ),
      ),
      Plot.dot(single, { x: 'seq', y: 'percent', fill: 'design', r: 5, stroke: 'white' }),
      ...(allZero && data.coverage.length > 0 ? [Plot.text(['no PMD-mapped memory in any design (all at 0%)'], { frameAnchor: 'middle', fill: '#555', fontStyle: 'italic' })] : []),
    ],
  });
  const title = 'Huge-page coverage over time';
  return {
    id: 'huge-coverage',
    title,
    caption: 'Share of mapped user memory that is mapped by PMDs (2 MiB huge pages) at each metric sample, one line per design; a design with a single sample is a dot.',
    svg: composeSvg({ title, legendTitle: 'design:', legend: designLegend(designs).map((l, i) => (i > 0 && (counts.get(designs[i]!) ?? 0) > 1 ? { ...l, label: `${l.label} (dashed)` } : l)), plot, width }),
  };
}

/** Renders every chart of the report as standalone SVG (legends included as SVG marks). */
export function renderCharts(data: ChartData, opts: RenderOptions = {}): RenderedChart[] {
  const width = opts.width ?? CHART_WIDTH;
  if (data.designs.length > DESIGN_PALETTE.length) {
    // colours would repeat; still render, but say so in the captions
  }
  return [
    wasteChart(data, width),
    lockedChart(data, width, opts.topSites ?? 8),
    outcomesChart(data, width),
    reasonsChart(data, width, opts.topReasons ?? 10),
    coverageChart(data, width),
  ];
}
