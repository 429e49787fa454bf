import { describe, expect, it } from 'vitest';
import { chartData } from '../testing/chartData.js';
import { CHART_WIDTH } from './style.js';
import { wasteChart } from './waste.js';

describe('the waste-over-the-workload chart', () => {
  it('marks the waste peak and says peak and end of run per design', () => {
    const svg = wasteChart(chartData(), CHART_WIDTH).svg;
    expect(svg).toContain('peak 5.00 MiB after event 500');
    expect(svg).toContain('end of run 1.00 MiB');
  });
});
