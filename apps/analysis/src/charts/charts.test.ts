import { describe, expect, it } from 'vitest';
import { integerTicks, renderCharts, topSitesWithOther } from './charts.js';
import type { ChartData } from './data.js';
import { svgToPng } from './png.js';
import { designColor } from './style.js';

const MiB = 1024 * 1024;

function data(over: Partial<ChartData> = {}): ChartData {
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

const markCount = (svg: string): number => (svg.match(/<(path|rect|line|circle|text)\b/g) ?? []).length;

describe('renderCharts', () => {
  it('renders every chart as standalone SVG with a title, a legend and marks', () => {
    const charts = renderCharts(data());
    expect(charts.map((c) => c.id)).toEqual([
      'waste',
      'waste-peak-end',
      'locked-ops-per-event',
      'locked-ops-by-site',
      'outcomes',
      'failure-reasons',
      'khugepaged-scans',
      'huge-coverage',
    ]);
    for (const c of charts) {
      expect(c.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(c.svg).toContain('class="legend"');
      expect(c.caption).toMatch(/\.$/);
      expect(markCount(c.svg)).toBeGreaterThan(10);
    }
  });

  it('gives each design the same colour in every chart', () => {
    const charts = renderCharts(data());
    // the waste charts are coloured by cause, the per-event bar by site (designs are its rows)
    for (const c of charts.filter((c) => !['waste', 'waste-peak-end', 'locked-ops-per-event'].includes(c.id))) {
      expect(c.svg).toContain(designColor(0));
      expect(c.svg).toContain(designColor(1));
    }
  });

  it('labels the axes with their units', () => {
    const svg = renderCharts(data())
      .map((c) => c.svg)
      .join('');
    for (const unit of [
      'waste (MiB)',
      'locked ops per workload event',
      '% of mapped user memory',
      'failures (count)',
      'khugepaged_scan results (count)',
      'after workload event (seq)',
    ])
      expect(svg).toContain(unit);
  });

  it('still renders when every series is zero', () => {
    const zero = data({
      waste: data().waste.map((w) => ({ ...w, bytes: 0 })),
      lockedBySite: data().lockedBySite.map((r) => ({ ...r, rate: 0 })),
      outcomes: [],
      failureReasons: [],
      coverage: data().coverage.map((r) => ({ ...r, percent: 0 })),
      wasteSnapshots: data().wasteSnapshots!.map((r) => ({ ...r, bytes: 0 })),
      scans: [],
    });
    const charts = renderCharts(zero);
    const all = charts.map((c) => c.svg).join('');
    expect(all).not.toMatch(/NaN|Infinity/);
    expect(all).toContain('no waste at any sample');
    expect(all).toContain('no locked operations recorded');
    expect(all).toContain('no PMD-mapped memory');
    for (const c of charts) expect(svgToPng(c.svg).length).toBeGreaterThan(1000);
  });

  it('draws a design with a single sample as a bar and a dot rather than nothing', () => {
    const one = data({
      waste: [...data().waste.filter((w) => w.design === 'linux-3.13'), { design: 'linux-4.5', seq: 1000, cause: 'split-blocked', bytes: 3 * MiB }],
      coverage: [...data().coverage.filter((c) => c.design === 'linux-3.13'), { design: 'linux-4.5', seq: 1000, percent: 40 }],
    });
    const charts = renderCharts(one);
    const waste = charts.find((c) => c.id === 'waste');
    const coverage = charts.find((c) => c.id === 'huge-coverage');
    expect(waste!.svg).toContain('single sample');
    expect(waste!.svg).not.toMatch(/NaN/);
    expect(coverage!.svg).toMatch(/<circle/);
  });
});

describe('tiny and huge workloads', () => {
  const tickLabels = (svg: string, axis: string): string[] =>
    [...(new RegExp(`aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`).exec(svg)?.[1] ?? '').matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]!);

  it('labels a 6-event workload with whole, distinct event numbers', () => {
    const tiny = data({
      events: 6,
      waste: [0, 1, 2, 3, 4, 5, 6].map((seq) => ({ design: 'linux-3.13', seq, cause: 'unmapped-in-thp', bytes: seq > 3 ? MiB : 0 })),
      coverage: [0, 1, 2, 3, 4, 5, 6].map((seq) => ({ design: 'linux-3.13', seq, percent: seq > 2 ? 100 : 0 })),
    });
    for (const c of renderCharts(tiny).filter((c) => c.id === 'waste' || c.id === 'huge-coverage')) {
      const ticks = tickLabels(c.svg, 'x');
      expect(ticks).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    }
  });

  it('never gives a count axis fractional or repeated ticks', () => {
    expect(integerTicks(1)).toEqual([0, 1]);
    expect(integerTicks(6)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(integerTicks(13)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(integerTicks(100_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000]);
    const one = renderCharts(data({ failureReasons: [{ design: 'linux-4.5', outcome: 'split_page', reason: 'pinned', count: 1 }] })).find(
      (c) => c.id === 'failure-reasons',
    )!;
    expect(renderCharts(data({ failureReasons: [] })).map((c) => c.id)).not.toContain('failure-reasons');
    expect(tickLabels(one.svg, 'x')).toEqual(['0', '1']);
  });

  it("puts each design's per-event total and its ratio to the baseline on the stacked locked-ops bar", () => {
    const svg = renderCharts(data()).find((c) => c.id === 'locked-ops-per-event')!.svg;
    expect(svg).toContain('5,000 per event');
    expect(svg).toContain('1,001 per event (0.20× baseline)');
    expect(svg).toContain('>get_page.tail<');
  });

  it('marks the waste peak and says peak and end of run per design', () => {
    const svg = renderCharts(data()).find((c) => c.id === 'waste')!.svg;
    expect(svg).toContain('peak 5.00 MiB after event 500');
    expect(svg).toContain('end of run 1.00 MiB');
  });
});

describe('topSitesWithOther', () => {
  it('keeps the busiest sites and sums the rest per design as "other"', () => {
    const rows = ['a', 'b', 'c', 'd'].flatMap((site, i) => [
      { design: 'x', site, rate: 10 - i },
      { design: 'y', site, rate: 1 },
    ]);
    const top = topSitesWithOther(rows, 2);
    expect(top.sites).toEqual(['a', 'b', 'other (2 sites)']);
    expect(top.rows.filter((r) => r.site.startsWith('other'))).toEqual([
      { design: 'x', site: 'other (2 sites)', rate: 8 + 7 },
      { design: 'y', site: 'other (2 sites)', rate: 2 },
    ]);
  });

  it("shows each design's own busiest sites, not only the baseline's", () => {
    const rows = [
      ...['a', 'b', 'c', 'd'].map((site, i) => ({ design: 'base', site, rate: 100 - i })),
      { design: 'new', site: 'z', rate: 5 },
      { design: 'new', site: 'y', rate: 4 },
    ];
    expect(topSitesWithOther(rows, 3).sites).toEqual(['a', 'b', 'z', 'other (3 sites)']);
  });

  it('does not make an "other" of a single site', () => {
    const rows = ['a', 'b', 'c'].map((site) => ({ design: 'x', site, rate: 1 }));
    expect(topSitesWithOther(rows, 2).sites).toEqual(['a', 'b', 'c']);
  });
});

describe('time charts', () => {
  it('draws huge-page coverage in one panel per design, so identical lines no longer hide each other', () => {
    const svg = renderCharts(data()).find((c) => c.id === 'huge-coverage')!.svg;
    expect((svg.match(/aria-label="line"/g) ?? []).length).toBe(1);
    // one line path per facet
    const line = /<g aria-label="line"[\s\S]*?<\/g>\s*<\/g>|<g aria-label="line"[\s\S]*?<\/g>/.exec(svg)![0];
    expect((line.match(/<path/g) ?? []).length).toBe(2);
    expect(svg).toContain('linux-4.5');
  });

  it('marks where khugepaged, reclaim, fork and compaction ran, in the waste and coverage charts', () => {
    const eventMarks = [
      { type: 'khugepaged', seq: 200 },
      { type: 'khugepaged', seq: 700 },
      { type: 'fork', seq: 400 },
    ];
    for (const id of ['waste', 'huge-coverage']) {
      const svg = renderCharts(data({ eventMarks })).find((c) => c.id === id)!.svg;
      expect(svg).toContain('khugepaged pass (2)');
      expect(svg).toContain('fork (1)');
      expect(svg).not.toContain('reclaim (');
      expect(svg).toContain('aria-label="rule"');
    }
  });
});
