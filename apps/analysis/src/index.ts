/** @pagelab/analysis: observation logs -> metric tables (RxJS), charts (Plot -> SVG/PNG) and reports. */
export { writeReport, type WriteReportOptions, type WrittenReport } from './report/writeReport.js';
export { loadRun, type LoadedRun, type DesignRun } from './report/load.js';
export { headlineRows, type HeadlineRow, type HeadlineCell } from './report/headline.js';
export { renderCharts, topSitesWithOther, type RenderOptions } from './charts/charts.js';
export { svgToPng } from './charts/png.js';
export { observedChartSvg, type ObservedPoint } from './charts/observed.js';
export type { ChartData, RenderedChart } from './charts/data.js';
export { DESIGN_PALETTE, designColor } from './charts/style.js';
export { readObservations, readObservationLines, type ObservationLine } from './io/readObservations.js';
export * from './pipelines/index.js';
export type { Metrics, Sample, Observation, Summary, OutcomeCount, CompareManifest, ObservationHeader } from './types.js';
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
