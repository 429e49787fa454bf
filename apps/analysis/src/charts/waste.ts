import * as Plot from '@observablehq/plot';
import { max, seqAxis, STYLE } from './axes.js';
import { composeSvg, type LegendItem, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { eventMarkLayer } from './eventMarks.js';
import { byteUnit, fmtBytes, fmtInt } from './format.js';
import { causeColor, designColor } from './style.js';

export function causeOrder(present: ReadonlySet<string>): { causes: string[]; colors: string[] } {
  const canonical = ['unmapped-in-thp', 'truncated-retained', 'collapse-bloat', 'duplicated-shared', 'split-blocked'];
  const extra = [...present].filter((c) => !canonical.includes(c) && c !== 'unattributed').sort();
  const causes = [...canonical.filter((c) => present.has(c)), ...extra, ...(present.has('unattributed') ? ['unattributed'] : [])];
  return { causes, colors: causes.map((c) => causeColor(c, extra.indexOf(c))) };
}

/** Per design: total waste at the peak sample and at the end, and the summary's peak. */
export function peakAndEnd(data: ChartData): Map<string, { peakSeq: number; peak: number; end: number; summaryPeak: number }> {
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
export function wasteChart(data: ChartData, width: number): RenderedChart {
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
