import { WASTE_CAUSES, type Metrics, type Observation, type ObservationOf } from '@pagelab/events';

/** A metric sample: the `metrics` block of a `sample` observation, at its seq. */
export interface Sample {
  readonly seq: number;
  readonly metrics: Metrics;
}

/** A metrics block with every counter 0; `over` replaces some of them (tests and fixtures). */
export function metricsWith(over: Partial<Metrics> = {}): Metrics {
  return {
    allocatedBytes: 0,
    idealBytes: 0,
    wasteBytes: 0,
    peakWasteBytes: 0,
    wasteByCause: Object.fromEntries(WASTE_CAUSES.map((c) => [c, 0])) as Metrics['wasteByCause'],
    lockedOps: 0,
    lockedOpsByKind: {},
    lockedOpsBySite: {},
    lockAcquisitions: 0,
    maxLockDepth: 0,
    hugeCoverage: 0,
    tlbShootdowns: 0,
    pageCopies: 0,
    ...over,
  };
}

export function isSample(o: Observation): o is ObservationOf<'sample'> {
  return o.type === 'sample';
}

export function toSample(o: ObservationOf<'sample'>): Sample {
  return { seq: o.seq, metrics: o.metrics };
}

export const MiB = 1024 * 1024;
