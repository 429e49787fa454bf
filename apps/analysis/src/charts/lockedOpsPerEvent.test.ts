import { describe, expect, it } from 'vitest';
import { chartData } from '../testing/chartData.js';
import { lockedPerEventChart } from './lockedOpsPerEvent.js';
import { CHART_WIDTH } from './style.js';

describe('the stacked locked-ops-per-event chart', () => {
  it("puts each design's per-event total and its ratio to the baseline on the bar", () => {
    const svg = lockedPerEventChart(chartData(), CHART_WIDTH, 8).svg;
    expect(svg).toContain('5,000 per event');
    expect(svg).toContain('1,001 per event (0.20× baseline)');
    expect(svg).toContain('>get_page.tail<');
  });
});
