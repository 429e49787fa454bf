// From "every line as an Either" to "items, or an error on the first bad line".
import { Observable } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { LogError } from './errors.js';
import type { EventItem, LineResult, LogItem } from './decode-line.js';

/** Batches of line results to the items; errors with a LogError at the first bad line and stops reading. */
export function strictItems(batches: Observable<readonly LineResult[]>): Observable<LogItem> {
  return new Observable<LogItem>((subscriber) =>
    batches.subscribe({
      next(batch) {
        for (const r of batch) {
          if (subscriber.closed) return;
          if (isLeft(r)) {
            subscriber.error(new LogError([r.left]));
            return;
          }
          subscriber.next(r.right);
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}

/** Only the events (the header was checked on the way). */
export function strictEvents(batches: Observable<readonly LineResult[]>): Observable<EventItem> {
  return new Observable<EventItem>((subscriber) =>
    strictItems(batches).subscribe({
      next: (item) => {
        if (item.kind === 'event') subscriber.next(item);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}

/** Flatten batches to single values, synchronously per batch. */
export function flatten<T>(batches: Observable<readonly T[]>): Observable<T> {
  return new Observable<T>((subscriber) =>
    batches.subscribe({
      next(batch) {
        for (const x of batch) {
          if (subscriber.closed) return;
          subscriber.next(x);
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}
