import * as Plot from '@observablehq/plot';
import { max, STYLE } from './axes.js';
import { composeSvg, plotDocument } from './compose.js';
import { type ChartData, type RenderedChart } from './data.js';
import { byteUnit, fmtBytes, fmtInt } from './format.js';
import { causeOrder, peakAndEnd } from './waste.js';

/** Waste at its peak and at the end of the run, by cause, two bars per design. */
export function wastePeakEndChart(data: ChartData, width: number): RenderedChart {
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
