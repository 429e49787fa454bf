import { map, type OperatorFunction } from 'rxjs';
import type { Sample } from '../metrics.js';

export interface CoveragePoint {
  seq: number;
  /** share of mapped user memory mapped by PMDs, in percent */
  percent: number;
}

/** Huge-page coverage over time from the metric samples (the samples' fraction as percent). */
export function hugeCoverage(): OperatorFunction<Sample, CoveragePoint> {
  return map((s) => ({ seq: s.seq, percent: s.metrics.hugeCoverage * 100 }));
}
