/**
 * Traces people already have, to a log: ftrace text (the tracefs `trace`
 * file or `trace-cmd report`) and `perf script` output, both with syscall
 * tracepoints and exceptions:page_fault_user|kernel; and strace -f text.
 * The format is told from the lines themselves.
 */
import { convert, type Conversion } from './convert.js';
import { parseStrace } from './strace.js';
import { parseTracepoints } from './tracepoints.js';
import type { ParsedTrace, Unusable } from './trace.js';
import type { Settings } from '@pagelab/events';

export type TraceFormat = 'strace' | 'tracepoints';

/** strace -f lines start "TID SECONDS.MICROS name("; tracepoint lines carry "[CPU]" or "comm PID" before the time. */
export function detectFormat(text: string): TraceFormat {
  let strace = 0,
    other = 0;
  for (const line of text.split('\n', 200)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (/^\d+\s+\d+\.\d+\s+(\w+\(|\+\+\+|---|<\.\.\.)/.test(line)) strace++;
    else other++;
  }
  return strace > other ? 'strace' : 'tracepoints';
}

export interface Imported extends Conversion {
  readonly format: TraceFormat;
  /** Lines with nothing to use by design (comments, headers, other syscalls). */
  readonly ignored: number;
  readonly unusable: readonly Unusable[];
}

export function importTrace(text: string, opts: { name: string; settings?: Settings; source?: string }): Imported {
  const format = detectFormat(text);
  const parsed: ParsedTrace = format === 'strace' ? parseStrace(text) : parseTracepoints(text);
  const c = convert(parsed.ops, {
    name: opts.name,
    ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
    // An imported trace rarely shows where its processes began: a task it never saw start is a new process.
    faultsOfKnownTasksOnly: false,
    params: { imported: { format, ...(opts.source !== undefined ? { source: opts.source } : {}) } },
  });
  return { ...c, format, ignored: parsed.ignored, unusable: parsed.unusable };
}
