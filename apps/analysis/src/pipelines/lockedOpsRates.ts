import { Observable, type OperatorFunction } from 'rxjs';
import type { Sample } from '../metrics.js';

/** Locked operations per 1,000 workload events over one window of events. */
export interface RateWindow {
  /** window is (seqFrom, seqTo] in workload event indices */
  seqFrom: number;
  seqTo: number;
  /** total locked ops per 1,000 events in the window */
  total: number;
  /** per kind or per site, ops per 1,000 events; keys with no ops in the window are omitted */
  rates: Record<string, number>;
}

export interface LockedOpsRatesOptions {
  /** `kind` reads lockedOpsByKind (atomic, spinlock, ...), `site` reads lockedOpsBySite */
  by: 'kind' | 'site';
  /** events per window; Infinity gives one window over the whole run */
  windowEvents: number;
}

/**
 * Windowed rates of locked operations from the cumulative counters in the
 * metric samples. The ledger starts at zero before event 1, so the first window
 * opens at seq 0 with zero counters unless the stream starts with a seq-0 sample.
 * A window closes at the first sample at least `windowEvents` past its start;
 * the last, shorter window closes at the final sample.
 */
export function lockedOpsRates(opts: LockedOpsRatesOptions): OperatorFunction<Sample, RateWindow> {
  const pick = (s: Sample): Record<string, number> => (opts.by === 'kind' ? s.metrics.lockedOpsByKind : s.metrics.lockedOpsBySite);
  return (source) =>
    new Observable<RateWindow>((subscriber) => {
      let start: { seq: number; total: number; by: Record<string, number> } = { seq: 0, total: 0, by: {} };
      let last: Sample | undefined;
      const close = (end: Sample): void => {
        const events = end.seq - start.seq;
        if (events <= 0) return;
        const scale = 1000 / events;
        const rates: Record<string, number> = {};
        const cur = pick(end);
        for (const [k, v] of Object.entries(cur)) {
          const d = v - (start.by[k] ?? 0);
          if (d !== 0) rates[k] = d * scale;
        }
        subscriber.next({ seqFrom: start.seq, seqTo: end.seq, total: (end.metrics.lockedOps - start.total) * scale, rates });
        start = { seq: end.seq, total: end.metrics.lockedOps, by: cur };
      };
      return source.subscribe({
        next: (s) => {
          if (last === undefined && s.seq === 0) {
            start = { seq: 0, total: s.metrics.lockedOps, by: pick(s) };
          } else if (s.seq - start.seq >= opts.windowEvents) {
            close(s);
          }
          last = s;
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (last !== undefined && last.seq > start.seq) close(last);
          subscriber.complete();
        },
      });
    });
}
