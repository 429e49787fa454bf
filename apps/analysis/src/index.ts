/** @pagelab/analysis: observation logs -> metric tables (RxJS), charts (Plot -> SVG/PNG) and reports. */
export { writeReport, type WriteReportOptions, type WrittenReport } from './report/writeReport.js';
export { loadRun, type LoadedRun, type DesignRun } from './report/load.js';
export { headlineRows, type HeadlineRow, type HeadlineCell } from './report/headline.js';
export { renderCharts, type RenderOptions } from './charts/render.js';
export { topSitesWithOther } from './charts/lockedSites.js';
export { svgToPng } from './charts/png.js';
export { observedChartSvg, type ObservedPoint } from './charts/observed.js';
export type { ChartData, RenderedChart } from './charts/data.js';
export { DESIGN_PALETTE, designColor } from './charts/style.js';
export { readObservations, readObservationLines, type ObservationLine } from './io/readObservations.js';
export * from './pipelines/index.js';
export type { Sample } from './metrics.js';
export type { CompareManifest, DesignProvenance } from './report/load.js';
// The file contracts are the events package's; re-exported for callers that import the report app only.
export type { Metrics, Observation, Summary, Outcome as OutcomeCount, ObservationHeader } from '@pagelab/events';
export {
  replicateTables,
  replicateHeadline,
  fmtP,
  REPLICATE_HEADLINE,
  REPLICATE_METHOD,
  type ReplicateRun,
  type ReplicateTables,
  type ReplicateHeadlineRow,
  type ReplicateCell,
} from './report/replicates.js';
export * as stats from './stats/index.js';
export { metricColumns, policyOf, POLICY_AXES, VMSTAT_COLUMNS, type MetricColumn } from './report/summaryColumns.js';
export { summaryFrom } from './report/load.js';
export { csvField } from './report/csv.js';
export { stableJson } from './report/stableJson.js';
export { fmtBytes, byteUnit } from './charts/format.js';
export { parseCsv, csvRecords } from './report/csvRead.js';
