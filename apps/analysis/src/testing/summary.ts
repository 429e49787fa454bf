import { OUTCOME_NAMES, type Summary } from '@pagelab/events';
import { metricsWith } from '../metrics.js';
import type { DesignRun } from '../report/load.js';

/**
 * A complete summary.json value as an engine from before the later blocks
 * wrote it (no overRun, vmstat, oom, ...), with `over` replacing or adding
 * fields: what a test of one block needs without a hand-made partial cast.
 */
export function summaryWith(over: Partial<Summary> = {}): Summary {
  return {
    pagelab: '0.1.0',
    design: { name: 'design' },
    workload: { name: 'w', seed: 1, params: {} },
    logSha256: 'a'.repeat(64),
    events: 10,
    metrics: metricsWith(),
    outcomes: Object.fromEntries(OUTCOME_NAMES.map((n) => [n, { ok: 0, failed: 0, reasons: {} }])) as Summary['outcomes'],
    expectations: { passed: 0, failed: 0, failures: [] },
    invariantViolations: 0,
    ...over,
  };
}

/** A design of a comparison whose summary is `summaryWith(over)` (for the report's section tests). */
export function designRun(name: string, index: number, over: Partial<Summary> = {}): DesignRun {
  return { name, index, dir: name, observationsPath: `${name}/observations.jsonl`, provenance: undefined, summary: summaryWith(over) };
}
