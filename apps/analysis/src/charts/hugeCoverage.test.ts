import { describe, expect, it } from 'vitest';
import { chartData } from '../testing/chartData.js';
import { coverageChart } from './hugeCoverage.js';
import { CHART_WIDTH } from './style.js';

describe('the huge-page coverage chart', () => {
  it('draws huge-page coverage in one panel per design, so identical lines no longer hide each other', () => {
    const svg = coverageChart(chartData(), CHART_WIDTH).svg;
    expect((svg.match(/aria-label="line"/g) ?? []).length).toBe(1);
    // one line path per facet
    const line = /<g aria-label="line"[\s\S]*?<\/g>\s*<\/g>|<g aria-label="line"[\s\S]*?<\/g>/.exec(svg)![0];
    expect((line.match(/<path/g) ?? []).length).toBe(2);
    expect(svg).toContain('linux-4.5');
  });
});
