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
  // The UTF-8 decoder turns a broken byte sequence into U+FFFD; a log has no use for the character itself.
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) return left(notJsonLine(file, line, `invalid UTF-8 at character ${bad + 1} (a byte sequence that is not UTF-8, shown as U+FFFD)`));
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    return left(notJsonLine(file, line, e instanceof Error ? e.message : String(e)));
  }
  const dup = duplicateKey(text);
  if (dup !== null) return left(notJsonLine(file, line, `the key ${JSON.stringify(dup)} appears twice in one object (JSON.parse would keep only the last)`));
  return right(value);
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), or
 * null. One pass over the characters; keys are collected per open object.
 */
export function duplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      i++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          j++;
          escaped = true;
        } else if (d === 0x22) break;
      }
      // A string directly followed (after blanks) by ':' inside an object is a key.
      let k = j + 1;
      while (k < n && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k++;
      const keys = stack[stack.length - 1];
      if (keys && text.charCodeAt(k) === 0x3a) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = j + 1;
    } else i++;
  }
  return null;
}

export function decodeWith<A>(codec: t.Decoder<unknown, A>, file: string, line: number, value: unknown): Either<LineError, A> {
  const r = codec.decode(value);
  return isLeft(r) ? left(invalidLine(file, line, issuesOf(r.left))) : right(r.right);
}

const looksLikeEvent = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && !('pagelab' in v);

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
    return left(emptyLog(this.file, lines));
  }
}
