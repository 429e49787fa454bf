// Logs that never touch the disk (scenarios generated in memory): the same
// scanner, decoding and reporting as the file reader. A source is either the
// whole text, or its lines (an array or a lazy iterable), which are read as if
// each were written followed by '\n', so the sha256 is that of the file the
// atomic writer's writeLines would produce.
import { Observable } from 'rxjs';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { LogScanner } from './log-scanner.js';
import { ReportBuilder, type ValidateOptions, type ValidationReport } from './report.js';
import { flatten, strictEvents, strictItems } from './strict.js';
import type { EventItem, LineResult, LogItem } from './decode-line.js';
import type { LogHeader } from './header.js';

export type LogSource = string | Iterable<string>;

export interface MemoryLogOptions {
  /** Name used as the file in messages. Default `<memory>`. */
  readonly name?: string;
}

const DEFAULT_NAME = '<memory>';
const BATCH_LINES = 4096;

/** Feed a source to a scanner, handing decoded results over in batches. */
function scanSource(source: LogSource, scanner: LogScanner, sink: (batch: readonly LineResult[]) => boolean): void {
  if (typeof source === 'string') {
    if (!sink(scanner.pushText(source))) return;
  } else {
    let pending: LineResult[] = [];
    for (const line of source) {
      pending.push(...scanner.pushText(`${line}\n`));
      if (pending.length >= BATCH_LINES) {
        if (!sink(pending)) return;
        pending = [];
      }
    }
    if (pending.length > 0 && !sink(pending)) return;
  }
  sink(scanner.end());
}

/** Decoded lines in batches; bad lines are Left values. */
export function scanLogTextBatches(source: LogSource, options: MemoryLogOptions = {}): Observable<readonly LineResult[]> {
  return new Observable<readonly LineResult[]>((subscriber) => {
    const scanner = new LogScanner(options.name ?? DEFAULT_NAME);
    scanSource(source, scanner, (batch) => {
      if (batch.length > 0) subscriber.next(batch);
      return !subscriber.closed;
    });
    subscriber.complete();
  });
}

export function scanLogText(source: LogSource, options: MemoryLogOptions = {}): Observable<LineResult> {
  return flatten(scanLogTextBatches(source, options));
}

/** Header then events; errors with a LogError at the first bad line. */
export function readLogText(source: LogSource, options: MemoryLogOptions = {}): Observable<LogItem> {
  return strictItems(scanLogTextBatches(source, options));
}

/** Events only; errors with a LogError at the first bad line. */
export function decodeEventsText(source: LogSource, options: MemoryLogOptions = {}): Observable<EventItem> {
  return strictEvents(scanLogTextBatches(source, options));
}

/** Every bad line reported, as validateLog does for files. */
export function validateLogText(source: LogSource, options: MemoryLogOptions & ValidateOptions = {}): ValidationReport {
  const scanner = new LogScanner(options.name ?? DEFAULT_NAME);
  const builder = new ReportBuilder(scanner.file, options);
  scanSource(source, scanner, (batch) => {
    builder.add(batch);
    return true;
  });
  return builder.finish(scanner);
}

/** A whole log decoded in memory. */
export interface DecodedLog {
  readonly header: LogHeader;
  readonly events: readonly EventItem[];
  readonly sha256: string;
}

/** The decoded log, or the validation report listing what is wrong. */
export function decodeLogText(source: LogSource, options: MemoryLogOptions & ValidateOptions = {}): Either<ValidationReport, DecodedLog> {
  const scanner = new LogScanner(options.name ?? DEFAULT_NAME);
  const builder = new ReportBuilder(scanner.file, options);
  let header: LogHeader | undefined;
  const events: EventItem[] = [];
  scanSource(source, scanner, (batch) => {
    builder.add(batch);
    for (const r of batch) {
      if (isLeft(r)) continue;
      if (r.right.kind === 'header') header = r.right.header;
      else events.push(r.right);
    }
    return true;
  });
  const report = builder.finish(scanner);
  if (!report.ok || header === undefined) return left(report);
  return right({ header, events, sha256: report.sha256 });
}
