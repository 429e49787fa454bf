// Whole-log validation results: every bad line counted, the first
// `maxErrors` kept with their messages, plus what a run needs to know about
// a good log (header, event counts, sha256).
import { isLeft } from 'fp-ts/lib/Either.js';
import type { LineError } from './errors.js';
import type { LineResult } from './decode-line.js';
import type { LogHeader } from './header.js';
import type { EventType } from './event.js';

export const DEFAULT_MAX_ERRORS = 50;

export interface ValidateOptions {
  /** How many bad lines to keep with their messages; the rest are only counted. Default 50. */
  readonly maxErrors?: number;
}

export interface ValidationReport {
  readonly file: string;
  /** True when the header and every event decoded. */
  readonly ok: boolean;
  /** The header, if line 1 decoded. */
  readonly header: LogHeader | undefined;
  /** Physical lines, blank ones included. */
  readonly lines: number;
  readonly blankLines: number;
  /** Events that decoded. */
  readonly events: number;
  readonly eventsByType: Readonly<Partial<Record<EventType, number>>>;
  /** Lines with at least one error. */
  readonly badLines: number;
  /** The first `maxErrors` bad lines, in line order. */
  readonly errors: readonly LineError[];
  /** Bad lines counted but not kept (`badLines - errors.length`). */
  readonly omittedErrors: number;
  /** Hex sha256 of the log's bytes. */
  readonly sha256: string;
  readonly bytes: number;
}

export class ReportBuilder {
  private header: LogHeader | undefined;
  private events = 0;
  private readonly byType: Partial<Record<EventType, number>> = {};
  private bad = 0;
  private readonly errors: LineError[] = [];
  private readonly maxErrors: number;

  constructor(
    readonly file: string,
    options: ValidateOptions = {},
  ) {
    this.maxErrors = Math.max(0, options.maxErrors ?? DEFAULT_MAX_ERRORS);
  }

  add(results: readonly LineResult[]): void {
    for (const r of results) {
      if (isLeft(r)) {
        this.bad++;
        if (this.errors.length < this.maxErrors) this.errors.push(r.left);
      } else if (r.right.kind === 'header') {
        this.header = r.right.header;
      } else {
        this.events++;
        const type = r.right.event.type;
        this.byType[type] = (this.byType[type] ?? 0) + 1;
      }
    }
  }

  finish(facts: { readonly lines: number; readonly blankLines: number; readonly sha256: string; readonly bytes: number }): ValidationReport {
    return {
      file: this.file,
      ok: this.bad === 0,
      header: this.header,
      lines: facts.lines,
      blankLines: facts.blankLines,
      events: this.events,
      eventsByType: { ...this.byType },
      badLines: this.bad,
      errors: [...this.errors],
      omittedErrors: this.bad - this.errors.length,
      sha256: facts.sha256,
      bytes: facts.bytes,
    };
  }
}

/** The report as terminal text: every kept message, then how many were left out, then a one-line verdict. */
export function formatReport(report: ValidationReport): string {
  const out = report.errors.map((e) => e.message);
  if (report.omittedErrors > 0) out.push(`... and ${report.omittedErrors} more bad line${report.omittedErrors === 1 ? '' : 's'}`);
  out.push(
    report.ok
      ? `${report.file}: ok: ${report.events} events in ${report.lines} lines, sha256 ${report.sha256}`
      : `${report.file}: invalid: ${report.badLines} bad line${report.badLines === 1 ? '' : 's'} in ${report.lines} line${report.lines === 1 ? '' : 's'}`,
  );
  return out.join('\n');
}
