import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Thins a seq-ordered stream for plotting: keeps the first item, then the last
 * item of every bucket of `bucketEvents` events (floor(seq / bucketEvents)),
 * and always the final item. A bucket of 1 or less passes everything through.
 */
export function thinSamples<T extends { seq: number }>(bucketEvents: number): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (!(bucketEvents > 1)) return source.subscribe(subscriber);
      let first = true;
      let held: T | undefined;
      const bucket = (x: T): number => Math.floor(x.seq / bucketEvents);
      return source.subscribe({
        next: (x) => {
          if (first) {
            first = false;
            subscriber.next(x);
            return;
          }
          if (held !== undefined && bucket(held) !== bucket(x)) subscriber.next(held);
          held = x;
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (held !== undefined) subscriber.next(held);
          subscriber.complete();
        },
      });
    });
}
