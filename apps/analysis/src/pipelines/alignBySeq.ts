import { Observable } from 'rxjs';

/** Several designs' values at one workload event index. */
export interface Aligned<T> {
  seq: number;
  /**
   * one entry per source, in source order (the baseline design first): the
   * source's latest item with seq <= this seq, or undefined before its first
   */
  values: ReadonlyArray<T | undefined>;
}

/**
 * Aligns several designs' streams over one workload log by event index `seq`
 * (each source must be in non-decreasing seq order). A row is emitted for each
 * distinct seq once every source that has not completed has shown an item at
 * or beyond it, so rows come out in seq order however the sources interleave.
 * Sources sampled at the same events line up exactly (a zip by seq); a source
 * that has no item at some seq contributes its latest earlier item (as
 * combineLatest would), so a design with a single sample still aligns.
 */
export function alignBySeq<T extends { seq: number }>(sources: ReadonlyArray<Observable<T>>): Observable<Aligned<T>> {
  return new Observable<Aligned<T>>((subscriber) => {
    const n = sources.length;
    const queues: T[][] = sources.map(() => []);
    const done: boolean[] = sources.map(() => false);
    const latest: (T | undefined)[] = sources.map(() => undefined);
    let finished = false;

    const drain = (): void => {
      for (;;) {
        let min = Infinity;
        for (let i = 0; i < n; i++) {
          const q = queues[i]!;
          if (q.length === 0) {
            if (!done[i]) return; // this source may still produce a smaller seq
            continue;
          }
          min = Math.min(min, q[0]!.seq);
        }
        if (min === Infinity) break;
        for (let i = 0; i < n; i++) {
          const q = queues[i]!;
          while (q.length > 0 && q[0]!.seq === min) latest[i] = q.shift();
        }
        subscriber.next({ seq: min, values: [...latest] });
      }
      if (!finished && done.every(Boolean)) {
        finished = true;
        subscriber.complete();
      }
    };

    if (n === 0) {
      subscriber.complete();
      return;
    }
    const subs = sources.map((src, i) =>
      src.subscribe({
        next: (x) => {
          queues[i]!.push(x);
          drain();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          done[i] = true;
          drain();
        },
      }),
    );
    return () => subs.forEach((s) => s.unsubscribe());
  });
}
