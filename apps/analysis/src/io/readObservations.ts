import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { ObservationHeader, formatIssue, issuesOf, observationCodecs, type Observation } from '@pagelab/events';
import type * as t from 'io-ts';

export type ObservationLine = { kind: 'header'; header: ObservationHeader } | { kind: 'observation'; observation: Observation };

const codecs: Readonly<Record<string, t.Decoder<unknown, Observation> | undefined>> = observationCodecs;

/** The first problem a failed decode found, as `path:line: at $.field: expected …, got …`. */
function decodeError(path: string, line: number, errors: t.Errors): Error {
  const issue = issuesOf(errors)[0];
  return new Error(issue === undefined ? `${path}:${line}: not the expected shape` : formatIssue(path, line, issue));
}

/**
 * Streams an observation log (contracts.md §2) line by line: the header first,
 * then each observation, decoded with the events package's codec of its
 * `type`, so the pipelines receive typed observations and narrow by `type`.
 * An observation type the codec map does not declare (one added by a newer
 * writer) is passed over. Never holds more than the current line; the file is
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
        if (value === null || typeof value !== 'object' || !('pagelab_observations' in value)) {
          fail(new Error(`${path}:1: expected the observation header {"pagelab_observations":1,...}`));
          return;
        }
        const h = ObservationHeader.decode(value);
        if (isLeft(h)) {
          fail(decodeError(path, 1, h.left));
          return;
        }
        subscriber.next({ kind: 'header', header: h.right });
        return;
      }
      const type = value !== null && typeof value === 'object' && 'type' in value ? value.type : undefined;
      if (typeof type !== 'string') {
        fail(new Error(`${path}:${lineNo}: expected an observation with numeric "seq" and string "type"`));
        return;
      }
      const codec = Object.hasOwn(codecs, type) ? codecs[type] : undefined;
      if (codec === undefined) return;
      const o = codec.decode(value);
      if (isLeft(o)) {
        fail(decodeError(path, lineNo, o.left));
        return;
      }
      subscriber.next({ kind: 'observation', observation: o.right });
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
