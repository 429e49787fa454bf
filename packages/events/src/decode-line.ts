// One line of a workload log to a value or a LineError. The first non-blank
// line is the header, every later one an event.
import type * as t from 'io-ts';
import { left, right, isLeft, type Either } from 'fp-ts/lib/Either.js';
import { emptyLog, invalidLine, issuesOf, notJsonLine, type LineError } from './errors.js';
import { LogHeader } from './header.js';
import { WorkloadEvent } from './event.js';

export interface HeaderItem {
  readonly kind: 'header';
  readonly line: number;
  readonly header: LogHeader;
}
export interface EventItem {
  readonly kind: 'event';
  readonly line: number;
  readonly event: WorkloadEvent;
}
/** What a log is made of: its header, then its events, each with its 1-based line number. */
export type LogItem = HeaderItem | EventItem;
export type LineResult = Either<LineError, LogItem>;

export function parseJson(file: string, line: number, text: string): Either<LineError, unknown> {
  try {
    return right(JSON.parse(text) as unknown);
  } catch (e) {
    return left(notJsonLine(file, line, e instanceof Error ? e.message : String(e)));
  }
}

export function decodeWith<A>(codec: t.Decoder<unknown, A>, file: string, line: number, value: unknown): Either<LineError, A> {
  const r = codec.decode(value);
  return isLeft(r) ? left(invalidLine(file, line, issuesOf(r.left))) : right(r.right);
}

const looksLikeEvent = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && !('pagelab' in v);

export function decodeHeaderLine(file: string, line: number, text: string): Either<LineError, LogHeader> {
  const json = parseJson(file, line, text);
  if (isLeft(json)) return json;
  if (looksLikeEvent(json.right)) {
    return left(invalidLine(file, line, [{ path: '$', expected: 'the log header ({"pagelab":1,"machine":...}) as the first line', got: json.right }]));
  }
  return decodeWith(LogHeader, file, line, json.right);
}

export function decodeEventLine(file: string, line: number, text: string): Either<LineError, WorkloadEvent> {
  const json = parseJson(file, line, text);
  return isLeft(json) ? json : decodeWith(WorkloadEvent, file, line, json.right);
}

/** Decodes the lines of one log in order; knows which line is the header. */
export class LogDecoder {
  private seenFirst = false;
  constructor(readonly file: string) {}

  line(line: number, text: string): LineResult {
    if (!this.seenFirst) {
      this.seenFirst = true;
      const h = decodeHeaderLine(this.file, line, text);
      return isLeft(h) ? h : right({ kind: 'header', line, header: h.right });
    }
    const e = decodeEventLine(this.file, line, text);
    return isLeft(e) ? e : right({ kind: 'event', line, event: e.right });
  }

  /** At end of input: an error if there was no line at all. */
  end(lines: number): LineResult | undefined {
    if (this.seenFirst) return undefined;
    return left(emptyLog(this.file, Math.max(1, lines)));
  }
}
