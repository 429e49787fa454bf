/** What renderCharts draws; built from a comparison run by the report, or by hand. */
export interface ChartData {
  /** design names in compare.json order; the first is the baseline; index = colour slot */
  designs: ReadonlyArray<string>;
  /** workload length in events (x axis of the time charts) */
  events: number;
  /** waste by cause at each (thinned) sample, in bytes */
  waste: ReadonlyArray<{ design: string; seq: number; cause: string; bytes: number }>;
  /** whole-run locked operations per 1,000 events by site */
  lockedBySite: ReadonlyArray<{ design: string; site: string; rate: number }>;
  /** attempts per outcome (outcome names of contracts.md §3) */
  outcomes: ReadonlyArray<{ design: string; outcome: string; ok: number; failed: number }>;
  failureReasons: ReadonlyArray<{ design: string; outcome: string; reason: string; count: number }>;
  /** huge-page coverage at each (thinned) sample, in percent */
  coverage: ReadonlyArray<{ design: string; seq: number; percent: number }>;
}

export interface RenderedChart {
  id: 'waste' | 'locked-ops-by-site' | 'outcomes' | 'failure-reasons' | 'huge-coverage';
  title: string;
  /** one sentence saying what the chart shows */
  caption: string;
  /** standalone SVG with xmlns, legends drawn as SVG */
  svg: string;
}
