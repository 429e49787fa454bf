// Turning decode failures into messages for the person at the terminal:
//   file:line: at $.path: expected <words>, got <JSON of the value>
import type * as t from 'io-ts';

/** One thing wrong with one line. */
export interface Issue {
  /** JSON path from the line's root, e.g. `$.len` or `$.settings["thp.enabled"]`. */
  readonly path: string;
  /** What was expected, in words. */
  readonly expected: string;
  /** The value found; `undefined` when the field is missing. */
  readonly got: unknown;
}

/** Everything wrong with one line of a log. */
export interface LineError {
  readonly file: string;
  /** 1-based physical line number. */
  readonly line: number;
  /** `json`: the line is not JSON; `invalid`: it is JSON of the wrong shape. */
  readonly kind: 'json' | 'invalid';
  /** For `invalid`, one or more issues; for `json`, empty. */
  readonly issues: readonly Issue[];
  /** The formatted message: one `file:line: ...` line per issue. */
  readonly message: string;
}

const MAX_GOT_CHARS = 120;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** JSON of a found value, shortened to one readable line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > MAX_GOT_CHARS ? `${s.slice(0, MAX_GOT_CHARS - 1)}…` : s;
}

/** Words for an io-ts codec that was not built with a phrase as its name. */
export function describeType(type: t.Decoder<unknown, unknown>): string {
  const tagged = type as { readonly _tag?: string; readonly value?: unknown; readonly keys?: Record<string, unknown> };
  switch (tagged._tag) {
    case 'StringType':
      return 'a string';
    case 'NumberType':
      return 'a number';
    case 'BooleanType':
      return 'a boolean (true or false)';
    case 'NullType':
      return 'null';
    case 'UnknownRecordType':
    case 'AnyDictionaryType':
      return 'a JSON object';
    case 'UnknownArrayType':
    case 'AnyArrayType':
      return 'an array';
    case 'LiteralType':
      return JSON.stringify(tagged.value);
    case 'KeyofType':
      return `one of ${Object.keys(tagged.keys ?? {}).join(', ')}`;
    default:
      return type.name;
  }
}

const TRANSPARENT = new Set(['UnionType', 'IntersectionType']);
const INDEXED = new Set(['ArrayType', 'ReadonlyArrayType', 'TupleType']);

/** `$.a.b[3]["odd key"]` from an io-ts context; union/intersection branch indices are not part of the data path. */
export function pathOf(context: t.Context): string {
  let path = '$';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    const parentTag = (context[i - 1]?.type as { readonly _tag?: string } | undefined)?._tag ?? '';
    if (entry === undefined || TRANSPARENT.has(parentTag)) continue;
    const key = entry.key;
    if (INDEXED.has(parentTag) && /^\d+$/.test(key)) path += `[${key}]`;
    else if (IDENTIFIER.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

/** The issues of an io-ts failure, one per distinct path and expectation. */
export function issuesOf(errors: t.Errors): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of errors) {
    const last = e.context[e.context.length - 1];
    const expected = e.message ?? (last === undefined ? 'a valid value' : describeType(last.type));
    const path = pathOf(e.context);
    const id = `${path}\u0000${expected}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push({ path, expected, got: e.value });
  }
  return issues;
}

export function formatIssue(file: string, line: number, issue: Issue): string {
  return `${file}:${line}: at ${issue.path}: expected ${issue.expected}, got ${describeValue(issue.got)}`;
}

export function invalidLine(file: string, line: number, issues: readonly Issue[]): LineError {
  return { file, line, kind: 'invalid', issues, message: issues.map((i) => formatIssue(file, line, i)).join('\n') };
}

export function notJsonLine(file: string, line: number, parserMessage: string): LineError {
  return { file, line, kind: 'json', issues: [], message: `${file}:${line}: not valid JSON: ${parserMessage}` };
}

/** A log with no line but blank ones: the header was due at line 1. `lines` counts the blank lines. */
export function emptyLog(file: string, lines: number): LineError {
  const expected = 'the log header ({"pagelab":1,"machine":...})';
  const got = lines === 0 ? 'an empty file' : `${lines === 1 ? 'a blank line' : `${lines} blank lines`} and nothing else`;
  return { file, line: 1, kind: 'invalid', issues: [{ path: '$', expected, got: undefined }], message: `${file}:1: at $: expected ${expected}, got ${got}` };
}

/** Thrown (as an Observable error) by the strict readers on the first bad line. */
export class LogError extends Error {
  readonly errors: readonly LineError[];
  constructor(errors: readonly LineError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'LogError';
    this.errors = errors;
  }
}
