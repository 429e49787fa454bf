/** A two-design chart input with waste, locked ops, outcomes, a failure, coverage and khugepaged scans: what the chart tests draw. */
import type { ChartData } from '../charts/data.js';

export const MiB = 1024 * 1024;

export function chartData(over: Partial<ChartData> = {}): ChartData {
  const designs = ['linux-3.13', 'linux-4.5'];
  return {
    designs,
    events: 1000,
    waste: designs.flatMap((design, i) =>
      [0, 500, 1000].flatMap((seq) => [
        { design, seq, cause: 'unmapped-in-thp', bytes: seq * i * 1000 },
        { design, seq, cause: 'collapse-bloat', bytes: (seq * MiB) / 100 },
      ]),
    ),
    lockedBySite: designs.flatMap((design, i) => [
      { design, site: 'get_page.tail', rate: i === 0 ? 4000 : 0 },
      { design, site: 'split.refcount', rate: 1000 + i },
    ]),
    outcomes: designs.map((design, i) => ({ design, outcome: 'split_page', ok: 10, failed: 3 * i })),
    failureReasons: [{ design: 'linux-4.5', outcome: 'split_page', reason: 'extra_pin', count: 3 }],
    coverage: designs.flatMap((design) => [0, 500, 1000].map((seq) => ({ design, seq, percent: seq / 20 }))),
    wasteSnapshots: designs.flatMap((design, i) => [
      { design, when: 'peak' as const, seq: 500, cause: 'collapse-bloat', bytes: 5 * MiB },
      { design, when: 'end' as const, seq: 1000, cause: 'unmapped-in-thp', bytes: i * MiB },
    ]),
    peakWaste: designs.map((design) => ({ design, bytes: 5 * MiB })),
    scans: designs.flatMap((design, i) => [
      { design, caller: 'khugepaged', result: 'SCAN_SUCCEED', count: 4 + i },
      { design, caller: 'khugepaged', result: 'SCAN_EXCEED_SHARED_PTE', count: 6 - 3 * i },
    ]),
    ...over,
  };
}

/** SVG elements that draw something. */
export const markCount = (svg: string): number => (svg.match(/<(path|rect|line|circle|text)\b/g) ?? []).length;

/** The tick labels of one axis of a chart's SVG. */
export const tickLabels = (svg: string, axis: string): string[] =>
  [...(new RegExp(`aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`).exec(svg)?.[1] ?? '').matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]!);
