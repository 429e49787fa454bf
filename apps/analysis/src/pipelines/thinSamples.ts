import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Thins a seq-ordered stream for plotting: keeps the first item, then the last
 * item of every bucket of `bucketEvents` events (floor(seq / bucketEvents)),
 * and always the final item. With `peakOf`, the item of each bucket with the
 * highest `peakOf` is kept too (before the bucket's last, in stream order), so
 * a spike between two kept items is never dropped. A bucket of 1 or less
 * passes everything through.
 */
export function thinSamples<T extends { seq: number }>(bucketEvents: number, peakOf?: (x: T) => number): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (!(bucketEvents > 1)) return source.subscribe(subscriber);
      let first = true;
      let held: T | undefined;
      let best: T | undefined;
      const bucket = (x: T): number => Math.floor(x.seq / bucketEvents);
      const flush = (): void => {
        if (best !== undefined && best !== held) subscriber.next(best);
        if (held !== undefined) subscriber.next(held);
        best = undefined;
        held = undefined;
      };
      return source.subscribe({
        next: (x) => {
          if (first) {
            first = false;
            subscriber.next(x);
            return;
          }
          if (held !== undefined && bucket(held) !== bucket(x)) flush();
          held = x;
          if (peakOf !== undefined && (best === undefined || peakOf(x) > peakOf(best))) best = x;
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
    });
}
