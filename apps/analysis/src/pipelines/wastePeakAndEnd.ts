import { Observable, type OperatorFunction } from 'rxjs';
import type { Sample } from '../metrics.js';
import { wasteAt, type WasteAt } from './wasteByCause.js';

/** Waste at its highest sample and at the last sample of a run. */
export interface WastePeakAndEnd {
  /** the first sample with the highest total waste (undefined for a log without samples) */
  peak: WasteAt | undefined;
  /** the last sample */
  end: WasteAt | undefined;
  /** samples seen */
  samples: number;
}

/**
 * Picks, from every metric sample of a run (not a thinned series, so the
 * peak is never dropped), the sample with the most waste and the last
 * sample, each with its waste by cause; emits once, on completion. The
 * summary's peakWasteBytes can exceed the peak sample's total when waste
 * peaked between two samples.
 */
export function wastePeakAndEnd(): OperatorFunction<Sample, WastePeakAndEnd> {
  return (source) =>
    new Observable<WastePeakAndEnd>((subscriber) => {
      let peak: Sample | undefined;
      let end: Sample | undefined;
      let n = 0;
      return source.subscribe({
        next: (s) => {
          n++;
          if (peak === undefined || s.metrics.wasteBytes > peak.metrics.wasteBytes) peak = s;
          end = s;
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          subscriber.next({ peak: peak && wasteAt(peak), end: end && wasteAt(end), samples: n });
          subscriber.complete();
        },
      });
    });
}
