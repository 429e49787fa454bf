import { type ChartData, type RenderedChart } from './data.js';
import { reasonsChart } from './failureReasons.js';
import { coverageChart } from './hugeCoverage.js';
import { scansChart } from './khugepagedScans.js';
import { lockedChart } from './lockedOpsBySite.js';
import { lockedPerEventChart } from './lockedOpsPerEvent.js';
import { outcomesChart } from './outcomes.js';
import { CHART_WIDTH } from './style.js';
import { wasteChart } from './waste.js';
import { wastePeakEndChart } from './wastePeakEnd.js';

export interface RenderOptions {
  /** sites shown in the locked-ops charts before the rest is grouped as "other" */
  topSites?: number;
  /** failure reasons shown before the rest is grouped as "other" */
  topReasons?: number;
  width?: number;
}

/**
 * Renders every chart of the report as standalone SVG (legends included as
 * SVG marks). The peak-vs-end chart is drawn only when some design wasted
 * memory, the failure-reasons chart only when some operation failed, the
 * khugepaged chart only when some design logged a khugepaged_scan.
 */
export function renderCharts(data: ChartData, opts: RenderOptions = {}): RenderedChart[] {
  const width = opts.width ?? CHART_WIDTH;
  const topSites = opts.topSites ?? 8;
  return [
    wasteChart(data, width),
    // peak vs end says nothing when no design wasted anything: the waste chart already says so
    ...((data.wasteSnapshots ?? []).some((r) => r.bytes > 0) ? [wastePeakEndChart(data, width)] : []),
    lockedPerEventChart(data, width, topSites),
    lockedChart(data, width, topSites),
    outcomesChart(data, width),
    // failure reasons only when something failed (khugepaged's results have their own chart)
    ...(data.failureReasons.some((r) => r.count > 0 && !((data.scans ?? []).length > 0 && r.outcome === 'collapse'))
      ? [reasonsChart(data, width, opts.topReasons ?? 10)]
      : []),
    ...((data.scans ?? []).length > 0 ? [scansChart(data, width)] : []),
    coverageChart(data, width),
  ];
}
