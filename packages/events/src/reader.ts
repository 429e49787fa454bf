// Reading workload logs from disk, streaming: fs.createReadStream in 1 MiB
// chunks through the incremental LogScanner, so memory stays constant
// whatever the file size (only the current chunk and one unfinished line are held).
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Observable, firstValueFrom, lastValueFrom, reduce } from 'rxjs';
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import { LogScanner } from './log-scanner.js';
import { ReportBuilder, type ValidateOptions, type ValidationReport } from './report.js';
import { strictEvents, strictItems, flatten } from './strict.js';
import type { EventItem, LineResult, LogItem } from './decode-line.js';
import type { LineError } from './errors.js';
import type { LogHeader } from './header.js';

const CHUNK_BYTES = 1 << 20;

/** Facts known once the whole file has been read. */
export interface ScanFacts {
  readonly lines: number;
  readonly blankLines: number;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Every non-blank line of the log at `path`, decoded, in batches (one per
 * chunk read). Bad lines are Left values; only I/O errors error the stream.
 * Unsubscribing stops the read.
 */
export function scanLogBatches(path: string, onEnd?: (facts: ScanFacts) => void): Observable<readonly LineResult[]> {
  return new Observable<readonly LineResult[]>((subscriber) => {
    const abort = new AbortController();
    const scanner = new LogScanner(path);
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES, signal: abort.signal });
    void (async () => {
      try {
        for await (const chunk of stream) {
          const batch = scanner.pushBytes(chunk as Buffer);
          if (batch.length > 0) subscriber.next(batch);
          if (subscriber.closed) return;
        }
        const last = scanner.end();
        if (last.length > 0) subscriber.next(last);
        onEnd?.({ lines: scanner.lines, blankLines: scanner.blankLines, sha256: scanner.sha256, bytes: scanner.bytes });
        subscriber.complete();
      } catch (e) {
        if (!subscriber.closed) subscriber.error(e);
      }
    })();
    return () => abort.abort();
  });
}

/** Every non-blank line of the log, decoded: errors as values. */
export function scanLog(path: string): Observable<LineResult> {
  return flatten(scanLogBatches(path));
}

/** The header then the events, each with its line number; errors with a LogError at the first bad line. */
export function readLog(path: string): Observable<LogItem> {
  return strictItems(scanLogBatches(path));
}

/** The events of a log already validated; errors with a LogError (formatted message) at the first bad line. */
export function decodeEvents(path: string): Observable<EventItem> {
  return strictEvents(scanLogBatches(path));
}

/** The header (first non-blank line) alone; reads no further than it. */
export async function readHeader(path: string): Promise<Either<LineError, LogHeader>> {
  // Never empty: an empty log yields its own error line.
  const first = await firstValueFrom(scanLog(path));
  if (isLeft(first)) return first;
  if (first.right.kind !== 'header') throw new Error('readHeader: first line decoded as an event');
  return right(first.right.header);
}

/** Read the whole log and report every bad line (the first `maxErrors` with messages), counts, header and sha256. */
export async function validateLog(path: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const builder = new ReportBuilder(path, options);
  let facts: ScanFacts | undefined;
  await lastValueFrom(
    scanLogBatches(path, (f) => (facts = f)).pipe(
      reduce((_, batch) => {
        builder.add(batch);
        return null;
      }, null),
    ),
  );
  if (facts === undefined) throw new Error(`validateLog: ${path} ended without facts`);
  return builder.finish(facts);
}

/** Hex sha256 of a file, streaming. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
