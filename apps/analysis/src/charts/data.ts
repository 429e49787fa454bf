/** What renderCharts draws; built from a comparison run by the report, or by hand. */
export interface ChartData {
  /** design names in compare.json order; the first is the baseline; index = colour slot */
  designs: ReadonlyArray<string>;
  /** workload length in events (x axis of the time charts) */
  events: number;
  /** waste by cause at each (thinned) sample, in bytes */
  waste: ReadonlyArray<{ design: string; seq: number; cause: string; bytes: number }>;
  /**
   * waste by cause at the sample with the most waste ("peak") and at the last
   * sample ("end"), from every sample (never thinned)
   */
  wasteSnapshots?: ReadonlyArray<{ design: string; when: 'peak' | 'end'; seq: number; cause: string; bytes: number }>;
  /** summary.json peakWasteBytes per design (may exceed the peak sample when waste peaked between samples) */
  peakWaste?: ReadonlyArray<{ design: string; bytes: number }>;
  /** whole-run locked operations per workload event by call site */
  lockedBySite: ReadonlyArray<{ design: string; site: string; rate: number }>;
  /** attempts per outcome (summary.json `outcomes` names) */
  outcomes: ReadonlyArray<{ design: string; outcome: string; ok: number; failed: number }>;
  failureReasons: ReadonlyArray<{ design: string; outcome: string; reason: string; count: number }>;
  /** khugepaged_scan observations per caller and SCAN_* result */
  scans?: ReadonlyArray<{ design: string; caller: string; result: string; count: number }>;
  /** huge-page coverage at each (thinned) sample, in percent */
  coverage: ReadonlyArray<{ design: string; seq: number; percent: number }>;
  /** where the log's khugepaged, reclaim, fork and compact events were (the same log under every design) */
  eventMarks?: ReadonlyArray<{ type: string; seq: number }>;
}

export type ChartId =
  | 'waste'
  | 'waste-peak-end'
  | 'locked-ops-per-event'
  | 'locked-ops-by-site'
  | 'outcomes'
  | 'failure-reasons'
  | 'khugepaged-scans'
  | 'huge-coverage'
  /** a metric across the seeds of a replicated comparison */
  | `replicates-${string}`
  /** a metric against a swept column */
  | `sweep-${string}`;

export interface RenderedChart {
  id: ChartId;
  title: string;
  /** one sentence saying what the chart shows */
  caption: string;
  /** standalone SVG with xmlns, legends drawn as SVG */
  svg: string;
}
