import { Observable, type OperatorFunction } from 'rxjs';
import type { Sample } from '../metrics.js';

/** Waste at one sample, by cause. */
export interface WasteAt {
  seq: number;
  totalBytes: number;
  /**
   * bytes per cause as the sample reports them; if the causes add up to less
   * than the total, the remainder appears as `unattributed`
   */
  byCause: Record<string, number>;
}

/** Waste at one sample, by cause, with the running peaks up to that sample. */
export interface WastePoint extends WasteAt {
  /** highest total waste seen in any sample so far */
  peakTotalBytes: number;
  /** highest waste per cause seen in any sample so far */
  peakByCause: Record<string, number>;
}

export const UNATTRIBUTED = 'unattributed';

/** One sample's waste by cause, the unaccounted rest as `unattributed`. */
export function wasteAt(s: Sample): WasteAt {
  const byCause: Record<string, number> = { ...s.metrics.wasteByCause };
  let sum = 0;
  for (const v of Object.values(byCause)) sum += v;
  const rest = s.metrics.wasteBytes - sum;
  if (rest > 0) byCause[UNATTRIBUTED] = rest;
  return { seq: s.seq, totalBytes: s.metrics.wasteBytes, byCause };
}

/** Running and peak memory waste by cause from the metric samples. */
export function wasteByCause(): OperatorFunction<Sample, WastePoint> {
  return (source) =>
    new Observable<WastePoint>((subscriber) => {
      let peakTotal = 0;
      const peak: Record<string, number> = {};
      return source.subscribe({
        next: (s) => {
          const { byCause } = wasteAt(s);
          for (const [k, v] of Object.entries(byCause)) peak[k] = Math.max(peak[k] ?? 0, v);
          peakTotal = Math.max(peakTotal, s.metrics.wasteBytes);
          subscriber.next({ seq: s.seq, totalBytes: s.metrics.wasteBytes, byCause, peakTotalBytes: peakTotal, peakByCause: { ...peak } });
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
