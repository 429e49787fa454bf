import type { Metrics, Observation, Sample } from './types.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function numRecord(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = num(x);
  }
  return out;
}

/** Fills a (possibly partial) metrics block; absent counters read as 0. */
export function normalizeMetrics(m: unknown): Metrics {
  const r = (m !== null && typeof m === 'object' ? m : {}) as Record<string, unknown>;
  return {
    allocatedBytes: num(r['allocatedBytes']),
    idealBytes: num(r['idealBytes']),
    wasteBytes: num(r['wasteBytes']),
    peakWasteBytes: num(r['peakWasteBytes']),
    wasteByCause: numRecord(r['wasteByCause']),
    lockedOps: num(r['lockedOps']),
    lockedOpsByKind: numRecord(r['lockedOpsByKind']),
    lockedOpsBySite: numRecord(r['lockedOpsBySite']),
    lockAcquisitions: num(r['lockAcquisitions']),
    maxLockDepth: num(r['maxLockDepth']),
    hugeCoverage: num(r['hugeCoverage']),
    tlbShootdowns: num(r['tlbShootdowns']),
    pageCopies: num(r['pageCopies']),
    nestingViolations: Array.isArray(r['nestingViolations']) ? r['nestingViolations'].map(String) : [],
  };
}

export function emptyMetrics(): Metrics {
  return normalizeMetrics({});
}

export function isSample(o: Observation): boolean {
  return o.type === 'sample';
}

export function toSample(o: Observation): Sample {
  return { seq: o.seq, metrics: normalizeMetrics(o['metrics']) };
}

export const MiB = 1024 * 1024;
