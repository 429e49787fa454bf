import { describe, expect, it } from 'vitest';
import { chartData } from '../testing/chartData.js';
import { coverageChart } from './hugeCoverage.js';
import { CHART_WIDTH } from './style.js';
import { wasteChart } from './waste.js';

describe('event marks in the time charts', () => {
  it('marks where khugepaged, reclaim, fork and compaction ran, in the waste and coverage charts', () => {
    const eventMarks = [
      { type: 'khugepaged', seq: 200 },
      { type: 'khugepaged', seq: 700 },
      { type: 'fork', seq: 400 },
    ];
    for (const chart of [wasteChart, coverageChart]) {
      const svg = chart(chartData({ eventMarks }), CHART_WIDTH).svg;
      expect(svg).toContain('khugepaged pass (2)');
      expect(svg).toContain('fork (1)');
      expect(svg).not.toContain('reclaim (');
      expect(svg).toContain('aria-label="rule"');
    }
  });
});
