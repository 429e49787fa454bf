import * as Plot from '@observablehq/plot';
import { composeSvg, plotDocument, type LegendItem } from './compose.js';
import type { ChartData, RenderedChart } from './data.js';
import { byteUnit, fmtBytes, fmtInt, fmtRate } from './format.js';
import { CHART_WIDTH, FONT_FAMILY, SITE_PALETTE, causeColor, designColor } from './style.js';

export interface RenderOptions {
  /** sites shown in the locked-ops charts before the rest is grouped as "other" */
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
  cow: 'CoW fault',
  dio: 'O_DIRECT request',
  fault: 'page fault',
  reclaim: 'reclaim',
  swap_out: 'swap out',
  memory_failure: 'memory_failure',
  shmem_punch: 'shmem hole punch',
  shmem_truncate: 'shmem truncate',
  ksm_merge: 'KSM merge',
  driver_alloc: 'driver alloc',
  collapse_pte_mapped_thp: 'collapse_pte_mapped_thp',
};
/** Outcomes in the order the outcome chart lists them (those with attempts in some design); others follow by name. */
export const OUTCOME_ORDER = [
  'thp_fault',
  'split_pmd',
  'split_page',
  'collapse',
  'collapse_pte_mapped_thp',
  'migrate',
  'compact',
  'cma_alloc',
  'cow',
  'fault',
  'dio',
  'reclaim',
  'swap_out',
  'shmem_punch',
  'shmem_truncate',
  'memory_failure',
  'ksm_merge',
] as const;

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

/**
 * Integer ticks from 0 to at least `hi`, about `target` of them, at 1, 2, 5 x
 * 10^k steps: counts and event indices never get fractional (or repeated,
 * once rounded) tick labels, however small the range.
 */
export function integerTicks(hi: number, target = 10): number[] {
  const top = Math.max(1, Math.ceil(hi));
  const raw = top / target;
  const pow = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** The x axis of the charts over the workload: event indices, integer ticks. */
function seqAxis(events: number) {
  const xMax = Math.max(1, events);
  return {
    domain: [0, xMax],
    ticks: integerTicks(xMax, 10),
    label: 'after workload event (seq) →',
    labelAnchor: 'right' as const,
    tickFormat: (d: number) => fmtInt(d),
    grid: true,
  };
}

/** A count axis: integer ticks up to `hi` with room for labels. */
function countAxis(hi: number, label: string, room = 1.12) {
  const top = hi > 0 ? hi * room : 1;
  return {
    domain: [0, top],
    ticks: integerTicks(hi > 0 ? hi : 1, 8).filter((t) => t <= top),
    label,
    labelAnchor: 'right' as const,
    grid: true,
    tickFormat: (d: number) => fmtInt(d),
  };
}

function causeOrder(present: ReadonlySet<string>): { causes: string[]; colors: string[] } {
  const canonical = ['unmapped-in-thp', 'truncated-retained', 'collapse-bloat', 'duplicated-shared', 'split-blocked'];
  const extra = [...present].filter((c) => !canonical.includes(c) && c !== 'unattributed').sort();
  const causes = [...canonical.filter((c) => present.has(c)), ...extra, ...(present.has('unattributed') ? ['unattributed'] : [])];
  return { causes, colors: causes.map((c) => causeColor(c, extra.indexOf(c))) };
}

/** Per design: total waste at the peak sample and at the end, and the summary's peak. */
function peakAndEnd(data: ChartData): Map<string, { peakSeq: number; peak: number; end: number; summaryPeak: number }> {
  const out = new Map<string, { peakSeq: number; peak: number; end: number; summaryPeak: number }>();
  for (const d of data.designs) out.set(d, { peakSeq: -1, peak: 0, end: 0, summaryPeak: 0 });
  for (const r of data.wasteSnapshots ?? []) {
    const e = out.get(r.design);
    if (e === undefined) continue;
    if (r.when === 'peak') {
      e.peakSeq = r.seq;
      e.peak += r.bytes;
    } else e.end += r.bytes;
  }
  for (const r of data.peakWaste ?? []) {
    const e = out.get(r.design);
    if (e !== undefined) e.summaryPeak = r.bytes;
  }
  return out;
}

/** Memory waste over the workload, stacked by cause, one panel per design, peak marked. */
function wasteChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const { causes, colors } = causeOrder(new Set(data.waste.filter((r) => r.bytes > 0).map((r) => r.cause)));
  // samples per design, and stacked totals (bytes) for the y domain and its unit
  const seqs = new Map<string, Set<number>>();
  const totalBytes = new Map<string, number>();
  for (const r of data.waste) {
    (seqs.get(r.design) ?? seqs.set(r.design, new Set()).get(r.design)!).add(r.seq);
    const k = `${r.design}\u0000${r.seq}`;
    totalBytes.set(k, (totalBytes.get(k) ?? 0) + r.bytes);
  }
  const pe = peakAndEnd(data);
  const unit = byteUnit(Math.max(max(totalBytes.values()), ...[...pe.values()].map((p) => p.peak)));
  const rows = data.waste.filter((r) => causes.includes(r.cause)).map((r) => ({ ...r, mib: r.bytes / unit.bytes }));
  const totals = new Map([...totalBytes].map(([k, v]) => [k, v / unit.bytes]));
  const yMax = Math.max(max(totals.values()), ...[...pe.values()].map((p) => p.peak / unit.bytes));
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
    const p = pe.get(d)!;
    const parts: string[] = [];
    if (n === 0) parts.push('no samples');
    else if ((wasteOf.get(d) ?? 0) === 0 && p.peak === 0) parts.push('no waste at any sample');
    else if (p.peakSeq >= 0) {
      parts.push(`peak ${fmtBytes(p.peak)} after event ${fmtInt(p.peakSeq)}`);
      if (p.summaryPeak > p.peak) parts.push(`(${fmtBytes(p.summaryPeak)} between samples)`);
      parts.push(`· end of run ${fmtBytes(p.end)}`);
    }
    if (n === 1) parts.push('· single sample');
    return { design: d, note: parts.join(' ') };
  });
  const peaks = designs.flatMap((d) => {
    const p = pe.get(d)!;
    return p.peakSeq >= 0 && p.peak > 0 ? [{ design: d, seq: p.peakSeq, mib: p.peak / unit.bytes }] : [];
  });

  const wasteMarks = eventMarkLayer(data);
  const facetH = yMax > 0 ? 130 : 60;
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: designs.length * (facetH + 16) + 80,
    marginLeft: 64,
    marginRight: 40,
    marginTop: 28,
    marginBottom: 44,
    style: STYLE,
    x: seqAxis(data.events),
    y: { domain: [0, yMax > 0 ? yMax * 1.15 : 1], label: `↑ waste (${unit.name})`, grid: true, nice: true },
    fy: { domain: [...designs], axis: null, padding: 0.12 },
    color: { domain: causes, range: colors },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      ...wasteMarks.marks,
      Plot.areaY(
        rows.filter((r) => !single.has(r.design)),
        { x: 'seq', y: 'mib', fill: 'cause', fy: 'design', order: causes, curve: 'step-after' },
      ),
      Plot.rectY(
        rows.filter((r) => single.has(r.design)),
        { x1: (r: { seq: number }) => r.seq - singleW, x2: 'seq', y: 'mib', fill: 'cause', fy: 'design', order: causes },
      ),
      Plot.ruleY([0], { stroke: '#666' }),
      Plot.dot(peaks, { x: 'seq', y: 'mib', fy: 'design', r: 4, fill: '#111', stroke: 'white' }),
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
        { fy: 'design', text: 'note', frameAnchor: 'top-right', dx: -6, dy: 6, fill: '#333' },
      ),
    ],
  });
  const legend: LegendItem[] = causes.map((c, i) => ({ label: c, color: colors[i]! }));
  if (peaks.length > 0) legend.push({ label: 'peak (highest sample)', color: '#111', dot: true });
  const title = 'Memory waste over the workload, by cause';
  return {
    id: 'waste',
    title,
    caption:
      'Bytes allocated beyond what an ideal 4 KiB kernel would need, stacked by cause at each metric sample (a sample holds until the next one), one panel per design; the black dot marks the peak, and each panel says its peak and its end-of-run waste.',
    svg: composeSvg({
      title,
      legendTitle: 'cause:',
      legend: [...(causes.length ? legend : [{ label: 'no waste in any design', color: '#ddd' }]), ...wasteMarks.legend],
      plot,
      width,
    }),
  };
}

/** Waste at its peak and at the end of the run, by cause, two bars per design. */
function wastePeakEndChart(data: ChartData, width: number): RenderedChart {
  const designs = data.designs;
  const snaps = data.wasteSnapshots ?? [];
  const { causes, colors } = causeOrder(new Set(snaps.filter((r) => r.bytes > 0).map((r) => r.cause)));
  const pe = peakAndEnd(data);
  const rowKey = (design: string, when: 'peak' | 'end'): string =>
    `${design}${designs.indexOf(design) === 0 ? ' (baseline)' : ''} · ${when === 'peak' ? 'peak' : 'end of run'}`;
  const yDomain = designs.flatMap((d) => [rowKey(d, 'peak'), rowKey(d, 'end')]);
  const unit = byteUnit(Math.max(0, ...[...pe.values()].flatMap((p) => [p.peak, p.end])));
  const rows = snaps
    .filter((r) => causes.includes(r.cause) && r.bytes > 0)
    .map((r) => ({ key: rowKey(r.design, r.when), cause: r.cause, mib: r.bytes / unit.bytes }));
  const labels = designs.flatMap((d) => {
    const p = pe.get(d)!;
    const none = p.peakSeq < 0 ? 'no samples' : undefined;
    const peakText =
      none ??
      (p.peak === 0
        ? 'none'
        : `${fmtBytes(p.peak)} after event ${fmtInt(p.peakSeq)}${p.summaryPeak > p.peak ? ` (summary peak ${fmtBytes(p.summaryPeak)}, between samples)` : ''}`);
    return [
      { key: rowKey(d, 'peak'), mib: p.peak / unit.bytes, text: peakText },
      { key: rowKey(d, 'end'), mib: p.end / unit.bytes, text: none ?? (p.end === 0 ? 'none' : fmtBytes(p.end)) },
    ];
  });
  const xMax = max(labels.map((l) => l.mib));
  const barH = 20;
  const longest = Math.max(...yDomain.map((k) => k.length));
  const plot = Plot.plot({
    document: plotDocument(),
    width,
    height: yDomain.length * barH + designs.length * 6 + 50,
    marginLeft: Math.min(320, 20 + longest * 7),
    marginRight: 40,
    marginTop: 4,
    marginBottom: 44,
    style: STYLE,
    x: { domain: [0, xMax > 0 ? xMax * 1.6 : 1], label: `waste (${unit.name}) →`, labelAnchor: 'right', grid: true },
    y: { domain: yDomain, label: null, axis: 'left', padding: 0.2 },
    color: { domain: causes, range: colors },
    marks: [
      Plot.barX(rows, Plot.stackX({ x: 'mib', y: 'key', fill: 'cause', order: causes })),
      Plot.text(labels, { x: 'mib', y: 'key', text: 'text', textAnchor: 'start', dx: 4, fill: '#222', fontSize: 11 }),
      Plot.ruleX([0], { stroke: '#666' }),
      // a thin rule between designs
      Plot.ruleY(
        designs.slice(1).map((d) => rowKey(d, 'peak')),
        { dy: -barH / 2, stroke: '#ddd' },
      ),
    ],
  });
  const title = 'Waste at its peak vs at the end of the run';
  return {
    id: 'waste-peak-end',
    title,
    caption:
      'Per design, waste by cause at the sample where it was highest (peak) and at the last sample (end of run): the peak is memory the workload needed beyond an ideal kernel while it ran, the end is what the design still holds when it is over.',
    svg: composeSvg({ title, legendTitle: 'cause:', legend: causes.map((c, i) => ({ label: c, color: colors[i]! })), plot, width }),
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

/** Ratio text against the baseline: "4.1× baseline", "0.24× baseline". */
function ratioText(v: number, base: number): string {
  if (base === 0) return '';
  if (v === base) return 'same as baseline';
  const r = v / base;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(r >= 1 ? 1 : 2)}× baseline`;
}

/** Whole-run locked operations per workload event, one stacked bar per design, split by call site. */
function lockedPerEventChart(data: ChartData, width: number, topN: number): RenderedChart {
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

/** Whole-run locked operations per workload event, top sites, designs side by side. */
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

/** The outcomes with attempts in some design, in OUTCOME_ORDER then by name. */
function chartedOutcomes(data: ChartData): string[] {
  const busy = new Set(data.outcomes.filter((o) => o.ok + o.failed > 0).map((o) => o.outcome));
  const known: readonly string[] = OUTCOME_ORDER;
  return [...known.filter((o) => busy.has(o)), ...[...busy].filter((o) => !known.includes(o)).sort()];
}

/** Attempts per outcome, successes solid and failures light, per design; each operation on its own scale. */
function outcomesChart(data: ChartData, width: number): RenderedChart {
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

/** Failure reasons per outcome, per design (khugepaged's SCAN_* results have their own chart when scans were logged). */
function reasonsChart(data: ChartData, width: number, topN: number): RenderedChart {
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

const SCAN_NOTES: Record<string, string> = {
  SCAN_PMD_MAPPED: 'already PMD-mapped, not an attempt',
  SCAN_PMD_NULL: 'no page table, not an attempt',
};

/** khugepaged scan results (SCAN_*) per design. */
function scansChart(data: ChartData, width: number): RenderedChart {
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

/** Colours of the event marks in time charts: muted, and unlike the design colours. */
const MARK_COLORS: Record<string, string> = { khugepaged: '#7b6fb0', reclaim: '#b07b52', fork: '#5a9e6f', compact: '#8a8a8a' };
const MARK_LABELS: Record<string, string> = { khugepaged: 'khugepaged pass', reclaim: 'reclaim', fork: 'fork', compact: 'compaction' };

/** Thin vertical rules where the marked events happened, repeated in every panel, and their legend. */
function eventMarkLayer(data: ChartData): { marks: Plot.Markish[]; legend: LegendItem[] } {
  const rows = data.eventMarks ?? [];
  const types = Object.keys(MARK_COLORS).filter((t) => rows.some((r) => r.type === t));
  return {
    marks: types.map((t) =>
      Plot.ruleX(
        rows.filter((r) => r.type === t),
        { x: 'seq', stroke: MARK_COLORS[t], strokeOpacity: 0.45, strokeWidth: 1 },
      ),
    ),
    legend: types.map((t) => ({ label: `${MARK_LABELS[t]} (${fmtInt(rows.filter((r) => r.type === t).length)})`, color: MARK_COLORS[t]! })),
  };
}

/** Huge-page coverage over time, one panel per design (lines on one axis hid each other), marked where khugepaged, reclaim, fork and compaction ran. */
function coverageChart(data: ChartData, width: number): RenderedChart {
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

/**
 * Renders every chart of the report as standalone SVG (legends included as
 * SVG marks). The peak-vs-end chart is drawn only when some design wasted
 * memory, the failure-reasons chart only when some operation failed, the
 * khugepaged chart only when some design logged a khugepaged_scan.
 */
export function renderCharts(data: ChartData, opts: RenderOptions = {}): RenderedChart[] {
  const width = opts.width ?? CHART_WIDTH;
  const topSites = opts.topSites ?? 8;
  return [
    wasteChart(data, width),
    // peak vs end says nothing when no design wasted anything: the waste chart already says so
    ...((data.wasteSnapshots ?? []).some((r) => r.bytes > 0) ? [wastePeakEndChart(data, width)] : []),
    lockedPerEventChart(data, width, topSites),
    lockedChart(data, width, topSites),
    outcomesChart(data, width),
    // failure reasons only when something failed (khugepaged's results have their own chart)
    ...(data.failureReasons.some((r) => r.count > 0 && !((data.scans ?? []).length > 0 && r.outcome === 'collapse'))
      ? [reasonsChart(data, width, opts.topReasons ?? 10)]
      : []),
    ...((data.scans ?? []).length > 0 ? [scansChart(data, width)] : []),
    coverageChart(data, width),
  ];
}
