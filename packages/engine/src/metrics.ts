/**
 * The `metrics` block (contracts.md §3) read off a kernel: waste from the
 * frames, locked operations from the ledger, huge-page coverage from the
 * mapping counters. Sample-time work (the waste walk visits every user folio).
 */
import { hugeCoverage, type Kernel } from '@pagelab/kernel-core';
import type { Metrics } from '@pagelab/events';

export type SampleMetrics = Metrics & { readonly nestingViolations: readonly string[] };

/** Measures the kernel now. Also advances the waste meter's peak. */
export function measureMetrics(k: Kernel): Metrics {
  const w = k.waste.measure(k);
  const t = k.ledger.totals();
  return {
    allocatedBytes: w.allocatedBytes,
    idealBytes: w.idealBytes,
    wasteBytes: w.wasteBytes,
    peakWasteBytes: k.waste.peakBytes,
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
export function summaryMetrics(k: Kernel): SampleMetrics {
  return { ...measureMetrics(k), nestingViolations: k.ledger.totals().nestingViolations };
}
