import { describe, expect, it } from 'vitest';
import { renderCharts, topSitesWithOther } from './charts.js';
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
        { design, seq, cause: 'collapse-bloat', bytes: seq * MiB / 100 },
      ]),
    ),
    lockedBySite: designs.flatMap((design, i) => [
      { design, site: 'get_page.tail', rate: i === 0 ? 4000 : 0 },
      { design, site: 'split.refcount', rate: 1000 + i },
    ]),
    outcomes: designs.map((design, i) => ({ design, outcome: 'split_page', ok: 10, failed: 3 * i })),
    failureReasons: [{ design: 'linux-4.5', outcome: 'split_page', reason: 'extra_pin', count: 3 }],
    coverage: designs.flatMap((design) => [0, 500, 1000].map((seq) => ({ design, seq, percent: seq / 20 }))),
    ...over,
  };
}

const markCount = (svg: string): number => (svg.match(/<(path|rect|line|circle|text)\b/g) ?? []).length;

describe('renderCharts', () => {
  it('renders the five charts as standalone SVG with a title, a legend and marks', () => {
    const charts = renderCharts(data());
    expect(charts.map((c) => c.id)).toEqual(['waste', 'locked-ops-by-site', 'outcomes', 'failure-reasons', 'huge-coverage']);
    for (const c of charts) {
      expect(c.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(c.svg).toContain('class="legend"');
      expect(c.caption).toMatch(/\.$/);
      expect(markCount(c.svg)).toBeGreaterThan(10);
    }
  });

  it('gives each design the same colour in every chart', () => {
    const charts = renderCharts(data());
    for (const c of charts.filter((c) => c.id !== 'waste')) {
      expect(c.svg).toContain(designColor(0));
      expect(c.svg).toContain(designColor(1));
    }
  });

  it('labels the axes with their units', () => {
    const svg = renderCharts(data()).map((c) => c.svg).join('');
    for (const unit of ['waste (MiB)', 'locked ops per 1,000 workload events', '% of mapped user memory', 'attempts (count)']) expect(svg).toContain(unit);
  });

  it('still renders when every series is zero', () => {
    const zero = data({
      waste: data().waste.map((w) => ({ ...w, bytes: 0 })),
      lockedBySite: data().lockedBySite.map((r) => ({ ...r, rate: 0 })),
      outcomes: [],
      failureReasons: [],
      coverage: data().coverage.map((r) => ({ ...r, percent: 0 })),
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
    const [waste, , , , coverage] = renderCharts(one);
    expect(waste!.svg).toContain('single sample');
    expect(waste!.svg).not.toMatch(/NaN/);
    expect(coverage!.svg).toMatch(/<circle/);
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
