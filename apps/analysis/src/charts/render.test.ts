import { describe, expect, it } from 'vitest';
import { MiB, chartData, markCount, tickLabels } from '../testing/chartData.js';
import { svgToPng } from './png.js';
import { renderCharts } from './render.js';
import { designColor } from './style.js';

describe('renderCharts', () => {
  it('renders every chart as standalone SVG with a title, a legend and marks', () => {
    const charts = renderCharts(chartData());
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
    const charts = renderCharts(chartData());
    // the waste charts are coloured by cause, the per-event bar by site (designs are its rows)
    for (const c of charts.filter((c) => !['waste', 'waste-peak-end', 'locked-ops-per-event'].includes(c.id))) {
      expect(c.svg).toContain(designColor(0));
      expect(c.svg).toContain(designColor(1));
    }
  });

  it('labels the axes with their units', () => {
    const svg = renderCharts(chartData())
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
    const zero = chartData({
      waste: chartData().waste.map((w) => ({ ...w, bytes: 0 })),
      lockedBySite: chartData().lockedBySite.map((r) => ({ ...r, rate: 0 })),
      outcomes: [],
      failureReasons: [],
      coverage: chartData().coverage.map((r) => ({ ...r, percent: 0 })),
      wasteSnapshots: chartData().wasteSnapshots!.map((r) => ({ ...r, bytes: 0 })),
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
    const one = chartData({
      waste: [...chartData().waste.filter((w) => w.design === 'linux-3.13'), { design: 'linux-4.5', seq: 1000, cause: 'split-blocked', bytes: 3 * MiB }],
      coverage: [...chartData().coverage.filter((c) => c.design === 'linux-3.13'), { design: 'linux-4.5', seq: 1000, percent: 40 }],
    });
    const charts = renderCharts(one);
    const waste = charts.find((c) => c.id === 'waste');
    const coverage = charts.find((c) => c.id === 'huge-coverage');
    expect(waste!.svg).toContain('single sample');
    expect(waste!.svg).not.toMatch(/NaN/);
    expect(coverage!.svg).toMatch(/<circle/);
  });
});

describe('tiny workloads', () => {
  it('labels a 6-event workload with whole, distinct event numbers', () => {
    const tiny = chartData({
      events: 6,
      waste: [0, 1, 2, 3, 4, 5, 6].map((seq) => ({ design: 'linux-3.13', seq, cause: 'unmapped-in-thp', bytes: seq > 3 ? MiB : 0 })),
      coverage: [0, 1, 2, 3, 4, 5, 6].map((seq) => ({ design: 'linux-3.13', seq, percent: seq > 2 ? 100 : 0 })),
    });
    for (const c of renderCharts(tiny).filter((c) => c.id === 'waste' || c.id === 'huge-coverage')) {
      const ticks = tickLabels(c.svg, 'x');
      expect(ticks).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    }
  });

  it('draws the failure-reasons chart only when something failed, with whole-number ticks for one failure', () => {
    const one = renderCharts(chartData({ failureReasons: [{ design: 'linux-4.5', outcome: 'split_page', reason: 'pinned', count: 1 }] })).find(
      (c) => c.id === 'failure-reasons',
    )!;
    expect(renderCharts(chartData({ failureReasons: [] })).map((c) => c.id)).not.toContain('failure-reasons');
    expect(tickLabels(one.svg, 'x')).toEqual(['0', '1']);
  });
});
