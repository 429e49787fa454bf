import { type LegendItem } from './compose.js';
import { fmtInt } from './format.js';
import { designColor, FONT_FAMILY } from './style.js';

/**
 * Pieces every Plot chart of the report shares: the page style, the design
 * colour scale and legend, and integer axes for event indices and counts.
 */
export const STYLE = { background: 'white', fontFamily: FONT_FAMILY, fontSize: '12px', color: '#222', overflow: 'visible' };
export function designScale(designs: ReadonlyArray<string>): { domain: string[]; range: string[] } {
  return { domain: [...designs], range: designs.map((_, i) => designColor(i)) };
}

export function designLegend(designs: ReadonlyArray<string>): LegendItem[] {
  return designs.map((d, i) => ({ label: i === 0 ? `${d} (baseline)` : d, color: designColor(i) }));
}

export const max = (xs: Iterable<number>): number => {
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
export function seqAxis(events: number) {
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
export function countAxis(hi: number, label: string, room = 1.12) {
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
