/** `pagelab import FILE`: ftrace / trace-cmd report / perf script / strace text to a workload log. */
import { readFile } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import { importTrace, summarizeUnusable } from '@pagelab/record';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import { formatCount, slug } from '../format.js';
import { checkLog, conversionSummary, settingsFrom, writeLog } from './recorded-log.js';

export interface ImportArgs {
  readonly file: string;
  readonly out?: string;
  readonly name?: string;
  readonly set?: readonly string[];
  readonly json?: boolean;
}

export function importCommand(ctx: LabContext, args: ImportArgs): Promise<number> {
  return guarded(ctx, async () => {
    const path = resolve(ctx.cwd, args.file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${args.file}: ${(e as Error).message}`);
    }
    const settings = settingsFrom(args.set ?? []);
    const name = args.name ?? slug(basename(args.file).replace(/\.(txt|trace|log|dat)$/, ''));
    const r = importTrace(text, { name, source: basename(args.file), ...(Object.keys(settings).length > 0 ? { settings } : {}) });
    if (r.events.length === 0) {
      throw new CliError(
        `${args.file}: no memory event could be read (format taken as ${r.format}; ${r.unusable.length} unusable lines${r.unusable[0] ? `, first at line ${r.unusable[0].line}: ${r.unusable[0].reason}` : ''})`,
      );
    }
    checkLog(r);
    const out = resolve(ctx.cwd, args.out ?? `${name}.jsonl`);
    await writeLog(out, r);
    const groups = summarizeUnusable(r.unusable);
    if (args.json) {
      ctx.stdout(
        `${JSON.stringify({ log: relative(ctx.cwd, out), format: r.format, events: r.events.length, stats: r.stats, ignored: r.ignored, unusable: groups }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    const lines = [
      `${args.file} (${r.format === 'strace' ? 'strace -f text' : 'ftrace / trace-cmd / perf script text'}) -> ${relative(ctx.cwd, out) || out}`,
      ...conversionSummary(r),
    ];
    lines.push(`${formatCount(r.ignored)} lines with nothing to replay (comments, headers, other syscalls)`);
    if (groups.length > 0) {
      lines.push(`${formatCount(r.unusable.length)} lines could not be used:`);
      for (const g of groups) {
        lines.push(`  ${formatCount(g.count)} x ${g.reason}`);
        for (const ex of g.examples) lines.push(`      line ${ex.line}: ${ex.text.trim().slice(0, 160)}`);
      }
    }
    lines.push(`replay it: pagelab run ${relative(ctx.cwd, out) || out} --design linux-6.15 --check`);
    ctx.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  });
}
