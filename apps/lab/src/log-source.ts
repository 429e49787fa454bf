/**
 * LOG|SCENARIO arguments: a workload log file, validated in full before
 * anything else happens, or a named scenario (its params from --param),
 * whose events reach the replay as the objects the generator made: no text
 * is written or parsed back. Its sha256 is that of the canonical bytes the
 * log writer would produce from them (hashed as they are generated, one
 * chunk at a time), and its header is checked by the header codec. A
 * generated event the model cannot act on still fails the replay with its
 * line and field; every scenario's log is validated by its tests.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import {
  LogDigest,
  LogHeader,
  decodeEvents,
  formatIssue,
  issuesOf,
  validateLog,
  formatReport,
  type ValidationReport,
  type WorkloadEvent,
} from '@pagelab/events';
import { parseValue, type LogEvent, type LogInput } from '@pagelab/engine';
import type { Scenario } from '@pagelab/workloads';
import { CliError, type LabContext } from './context.js';

export interface LoadedLog {
  /** The file as given, or `scenario:NAME`. */
  readonly source: string;
  readonly kind: 'file' | 'scenario';
  readonly header: LogHeader;
  readonly sha256: string;
  readonly events: number;
  /** Replayable: a cold Observable over the file, or the decoded events. */
  readonly input: LogInput;
  /** Scenario params as given (empty for files). */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

/** `--param k=v` values into a record, `true`/`false`/numbers typed. */
export function parseParams(list: readonly string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    if (eq <= 0 || key === '') throw new CliError(`--param "${item}": expected NAME=VALUE, e.g. --param seed=7`);
    if (key in out) throw new CliError(`--param "${key}" is given twice`);
    out[key] = parseValue(item.slice(eq + 1).trim());
  }
  return out;
}

async function fileKind(path: string): Promise<'file' | 'dir' | 'missing' | string> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : (code ?? 'unreadable');
  }
}

/** Reads and validates a log file: every bad line in the error. */
export async function validateFile(ctx: LabContext, arg: string): Promise<ValidationReport> {
  const path = resolve(ctx.cwd, arg);
  const kind = await fileKind(path);
  if (kind === 'dir') throw new CliError(`${arg}: is a directory, expected a workload log file (JSONL)`);
  if (kind === 'missing') throw new CliError(`${arg}: no such file`);
  try {
    const report = await validateLog(path);
    return { ...report, file: arg };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${arg}: cannot read the log (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
}

/**
 * Generated logs up to this many events are kept as the generator's objects
 * for every replay of a compare (about 100 B each); longer ones are
 * generated again, lazily, for each replay, so a 30M-event run holds no
 * more than one event at a time.
 */
export const SCENARIO_EVENTS_IN_MEMORY = 2_000_000;

/** Events as replay items: 1-based line numbers, the header on line 1 (as a file of the same log). */
function logEvents(events: Iterable<WorkloadEvent>): Iterable<LogEvent> {
  // A plain iterator rather than a generator function: it is stepped once per event of every replay.
  return {
    [Symbol.iterator](): Iterator<LogEvent> {
      const it = events[Symbol.iterator]();
      let line = 1;
      return {
        next(): IteratorResult<LogEvent> {
          const r = it.next();
          return r.done ? { done: true, value: undefined } : { done: false, value: { line: ++line, event: r.value } };
        },
      };
    },
  };
}

function scenarioLog(s: Scenario, params: Record<string, string | number | boolean>): LoadedLog {
  const known = s.params.map((p) => p.name);
  for (const k of Object.keys(params)) {
    if (!known.includes(k)) {
      throw new CliError(
        `scenario ${s.name} has no parameter "${k}"; expected ${known.length ? `one of ${known.join(', ')}` : 'no --param at all'} (see \`pagelab scenarios\`)`,
      );
    }
  }
  const bug = (what: string) => new CliError(`scenario ${s.name} generated an invalid log (a bug in the scenario): ${what}`);
  const source = `scenario:${s.name}`;
  const digest = (generated: { header: unknown; events: Iterable<WorkloadEvent> }) => {
    const h = LogHeader.decode(generated.header);
    if (isLeft(h))
      throw bug(
        issuesOf(h.left)
          .map((i) => formatIssue(source, 1, i))
          .join('; '),
      );
    const d = new LogDigest(generated.header as object);
    let kept: WorkloadEvent[] | undefined = [];
    for (const e of generated.events) {
      if (d.add(e) > SCENARIO_EVENTS_IN_MEMORY) kept = undefined;
      else kept?.push(e);
    }
    return { header: h.right, sha256: d.finish(), events: d.events, kept };
  };
  let log: ReturnType<typeof digest>;
  let lazy: Iterable<WorkloadEvent>;
  try {
    const generated = s.stream ? s.stream(params) : s.generate(params);
    lazy = generated.events;
    log = digest(generated);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`scenario ${s.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { header, sha256, events, kept } = log;
  return { source, kind: 'scenario', header, sha256, events, input: { header, events: logEvents(kept ?? lazy) }, params };
}

/**
 * A LOG path or a SCENARIO name. A file is validated in full first; a bad
 * log is refused with every bad line in the message.
 */
export async function loadLog(ctx: LabContext, arg: string, paramList: readonly string[] = []): Promise<LoadedLog> {
  const params = parseParams(paramList);
  const path = resolve(ctx.cwd, arg);
  const kind = await fileKind(path);
  if (kind === 'missing' && !arg.includes('/') && !arg.endsWith('.jsonl')) {
    const scenarios = await ctx.loadScenarios();
    const s = scenarios.find((x) => x.name === arg);
    if (s) return scenarioLog(s, params);
    const names = scenarios.map((x) => x.name);
    throw new CliError(
      `"${arg}" is neither a log file nor a scenario; expected a path to a workload log (JSONL) or one of the scenarios: ${names.length ? names.join(', ') : '(none are registered yet)'}`,
    );
  }
  if (Object.keys(params).length > 0) throw new CliError(`--param applies to scenarios only, and ${arg} is a log file`);
  const report = await validateFile(ctx, arg);
  if (!report.ok || report.header === undefined) {
    throw new CliError(`${arg} is not a valid workload log; nothing was run:\n${formatReport(report)}`);
  }
  return {
    source: arg,
    kind: 'file',
    header: report.header,
    sha256: report.sha256,
    events: report.events,
    input: { header: report.header, events: decodeEvents(path) },
    params: {},
  };
}
