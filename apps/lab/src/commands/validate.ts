/**
 * `pagelab validate LOG [--semantic]`: every bad line with its number, JSON
 * path, expected and found value. With --semantic, a dry replay under one
 * design (nothing is written) then lists every event the model refuses
 * (an unmapped address, an unknown handle, a dead pid, an overlapping
 * mmap, ...), each with its line: a refused event is skipped and the
 * replay goes on, so one attempt shows them all.
 */
import { isObservable } from 'rxjs';
import { formatReport } from '@pagelab/events';
import { ReplayError, Replayer, type LogEvent } from '@pagelab/engine';
import { CliError, EXIT_BAD_INPUT, EXIT_OK, guarded, type LabContext } from '../context.js';
import { loadDesigns } from '../designs.js';
import { loadLog, validateFile } from '../log-source.js';

export interface ValidateOptions {
  /** Also replay the log dry and list every event the model refuses. */
  readonly semantic?: boolean;
  /** The design of the dry replay (default linux-6.10); refusals can depend on it (era parameters). */
  readonly design?: string;
}

/** How many refused events are listed before the rest are only counted. */
const MAX_LISTED = 200;

export function validateCommand(ctx: LabContext, file: string, opts: ValidateOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const report = await validateFile(ctx, file);
    if (!report.ok) {
      ctx.stderr(`${formatReport(report)}\n`);
      return EXIT_BAD_INPUT;
    }
    ctx.stdout(`${formatReport(report)}\n`);
    if (!opts.semantic) return EXIT_OK;
    const designName = opts.design ?? 'linux-6.10';
    const [design] = await loadDesigns(ctx, [designName]);
    const log = await loadLog(ctx, file);
    let r: Replayer;
    try {
      r = new Replayer(log.header, design!, { source: file, sampleEvery: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      throw new CliError(e instanceof Error ? e.message : String(e));
    }
    const refused: string[] = [];
    let count = 0;
    const events = log.input.events;
    const apply = (item: LogEvent) => {
      try {
        r.apply(item);
      } catch (e) {
        if (!(e instanceof ReplayError)) throw e;
        count++;
        if (refused.length < MAX_LISTED)
          refused.push(e.message.replace(/ \(the model cannot apply this "[^"]+" event\)$/, ` (a "${e.eventType}" event the model refuses)`));
      }
    };
    // Streamed: a file's events are read as the replay goes, never held whole.
    if (isObservable(events)) await new Promise<void>((done, fail) => events.subscribe({ next: apply, error: fail, complete: done }));
    else for (const item of events) apply(item);
    if (count === 0) {
      ctx.stdout(`${file}: semantic: ok under ${design!.name} (a dry replay applied every event)\n`);
      return EXIT_OK;
    }
    ctx.stderr(
      `${refused.join('\n')}\n${count > refused.length ? `... and ${count - refused.length} more\n` : ''}${file}: semantic: ${count} event${count === 1 ? '' : 's'} the model refuses under ${design!.name}\n`,
    );
    return EXIT_BAD_INPUT;
  });
}
