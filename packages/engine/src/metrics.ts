/**
 * The engine's probe: everything the engine measures of a kernel — the
 * `metrics` block (contracts.md §3: waste from the frames, locked operations
 * from the ledger, huge-page coverage from the mapping counters), the
 * sharedness divergence and the expect tallies — read through kernel-core's
 * queries. Reading changes nothing in the model; the waste peak over the run
 * is the probe's own state. Sample-time work (the waste walk visits every
 * user folio).
 */
import { hugeCoverage, type Kernel } from '@pagelab/kernel-core';
import type { Metrics } from '@pagelab/events';

export type SampleMetrics = Metrics & { readonly nestingViolations: readonly string[] };
export type SharednessDivergence = Kernel['sharednessDivergence'];

/** Measures the kernel now; `peakSoFar` is the highest waste measured before (the result's peak includes now). */
export function measureMetrics(k: Kernel, peakSoFar = 0): Metrics {
  const w = k.waste.measure(k);
  const t = k.ledger.totals();
  return {
    allocatedBytes: w.allocatedBytes,
    idealBytes: w.idealBytes,
    wasteBytes: w.wasteBytes,
    peakWasteBytes: Math.max(peakSoFar, w.wasteBytes),
    wasteByCause: { ...w.wasteByCause },
    lockedOps: t.lockedOps,
    lockedOpsByKind: t.lockedOpsByKind,
    lockedOpsBySite: t.lockedOpsBySite,
    lockAcquisitions: t.lockAcquisitions,
    maxLockDepth: t.maxLockDepth,
    hugeCoverage: hugeCoverage(k),
    tlbShootdowns: t.tlbShootdowns,
    pageCopies: t.pageCopies,
  };
}

/** The summary's metrics: the sample block plus the ledger's lock-nesting violations. */
export function summaryMetrics(k: Kernel, peakSoFar = 0): SampleMetrics {
  return { ...measureMetrics(k, peakSoFar), nestingViolations: k.ledger.totals().nestingViolations };
}

/** One replay's measuring instrument: samples, the peak between them, and the end-of-run readings. */
export class Probe {
  private peakWasteBytes = 0;
  constructor(private readonly k: Kernel) {}

  /** A metric sample now; the peak it reports is the highest waste of this and every earlier sample. */
  sample(): Metrics {
    const m = measureMetrics(this.k, this.peakWasteBytes);
    this.peakWasteBytes = m.peakWasteBytes;
    return m;
  }
  /** The summary's metrics at the end of the run. */
  summaryMetrics(): SampleMetrics {
    return summaryMetrics(this.k, this.peakWasteBytes);
  }
  /** A copy of the sharedness divergence khugepaged's questions accumulated. */
  sharedness(): SharednessDivergence {
    return { ...this.k.sharednessDivergence };
  }
  /** How many expect checks passed and failed. */
  expectationCounts(): { readonly passed: number; readonly failed: number } {
    return { passed: this.k.expectations.passed, failed: this.k.expectations.failed };
  }
}
