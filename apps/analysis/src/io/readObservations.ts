import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs';
import type { Observation, ObservationHeader } from '../types.js';

export type ObservationLine = { kind: 'header'; header: ObservationHeader } | { kind: 'observation'; observation: Observation };

/**
 * Streams an observation log (contracts.md §2) line by line: the header first,
 * then each observation. Never holds more than the current line; the file is
 * closed when the subscriber unsubscribes. A malformed line errors the stream
 * with `path:line: reason`.
 */
export function readObservationLines(path: string): Observable<ObservationLine> {
  return new Observable<ObservationLine>((subscriber) => {
    const input = createReadStream(path, { encoding: 'utf8' });
    const rl = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    let done = false;
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      subscriber.error(err);
      rl.close();
      input.destroy();
    };
    input.on('error', fail);
    rl.on('line', (line) => {
      if (done) return;
      lineNo++;
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        fail(new Error(`${path}:${lineNo}: not JSON (${(e as Error).message})`));
        return;
      }
      if (lineNo === 1) {
        const h = value as Partial<ObservationHeader> | null;
        if (h === null || typeof h !== 'object' || h.pagelab_observations === undefined) {
          fail(new Error(`${path}:1: expected the observation header {"pagelab_observations":1,...}`));
          return;
        }
        subscriber.next({ kind: 'header', header: h as ObservationHeader });
        return;
      }
      const o = value as Partial<Observation> | null;
      if (o === null || typeof o !== 'object' || typeof o.seq !== 'number' || typeof o.type !== 'string') {
        fail(new Error(`${path}:${lineNo}: expected an observation with numeric "seq" and string "type"`));
        return;
      }
      subscriber.next({ kind: 'observation', observation: o as Observation });
    });
    rl.on('close', () => {
      if (done) return;
      done = true;
      subscriber.complete();
    });
    return () => {
      done = true;
      rl.close();
      input.destroy();
    };
  });
}

/** The observations of a log, without its header. */
export function readObservations(path: string): Observable<Observation> {
  return new Observable<Observation>((subscriber) =>
    readObservationLines(path).subscribe({
      next: (l) => {
        if (l.kind === 'observation') subscriber.next(l.observation);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}
