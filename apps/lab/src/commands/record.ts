/**
 * `pagelab record -- CMD ARGS...`: runs a program under strace and perf
 * (THP disabled, so every first touch is seen at 4 KiB), then once more
 * normally, and writes a workload log of what it did to memory plus
 * LOG.smaps.jsonl, the kernel's own AnonHugePages / Rss of both runs over time.
 */
import { rm } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import { writeJsonlFile } from '@pagelab/events';
import { RecordError, recordProgram, smapsLines, smapsPathFor } from '@pagelab/record';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import { formatBytes, slug } from '../format.js';
import { checkLog, conversionSummary, settingsFrom, writeLog } from './recorded-log.js';

export interface RecordArgs {
  readonly argv: readonly string[];
  readonly out?: string;
  readonly name?: string;
  readonly set?: readonly string[];
  readonly interval?: string;
  readonly normalRun?: boolean;
  readonly json?: boolean;
  /** perf | tracefs */
  readonly faults?: string;
  /** Tests: keep the program's output off the terminal. */
  readonly quietProgram?: boolean;
}

export function recordCommand(ctx: LabContext, args: RecordArgs): Promise<number> {
  return guarded(ctx, async () => {
    const settings = settingsFrom(args.set ?? []);
    const intervalMs = args.interval === undefined ? 100 : Number(args.interval);
    if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new CliError(`--interval ${args.interval}: expected an integer number of milliseconds >= 10`);
    if (args.argv.length === 0) throw new CliError('no command to record: pagelab record [options] -- CMD ARGS...');
    if (args.faults !== undefined && args.faults !== 'perf' && args.faults !== 'tracefs')
      throw new CliError(`--faults ${args.faults}: expected perf or tracefs`);
    const name = args.name ?? slug(basename(args.argv[0]!));
    const out = resolve(ctx.cwd, args.out ?? `${name}.jsonl`);
    let r;
    try {
      r = await recordProgram({
        argv: args.argv,
        name,
        intervalMs,
        cwd: ctx.cwd,
        skipNormalRun: args.normalRun === false,
        programOutput: args.quietProgram ? 'ignore' : 'inherit',
        ...(args.faults !== undefined ? { faults: args.faults as 'perf' | 'tracefs' } : {}),
        onWait: (m) => ctx.stderr(`pagelab: ${m}\n`),
        ...(Object.keys(settings).length > 0 ? { settings } : {}),
      });
    } catch (e) {
      if (e instanceof RecordError) throw new CliError(e.message);
      throw e;
    }
    checkLog(r);
    const sidecar = smapsPathFor(out);
    await writeJsonlFile(sidecar, smapsLines(r, intervalMs));
    try {
      await writeLog(out, r);
    } catch (e) {
      await rm(sidecar, { force: true });
      throw e;
    }
    const peak = (run: 'traced' | 'normal', k: 'anonHugeBytes' | 'rssModelBytes') => Math.max(0, ...r.smaps.filter((s) => s.run === run).map((s) => s[k]));
    if (args.json) {
      ctx.stdout(
        `${JSON.stringify(
          {
            log: relative(ctx.cwd, out),
            smaps: relative(ctx.cwd, sidecar),
            events: r.events.length,
            stats: r.stats,
            lostFaults: r.lostFaults,
            unusableLines: r.unusable.length,
            traced: { exitCode: r.traced.exitCode, durationMs: Math.round(r.traced.durationMs) },
            normal: r.normal ? { exitCode: r.normal.exitCode, durationMs: Math.round(r.normal.durationMs) } : null,
            peaks: {
              tracedRssModelBytes: peak('traced', 'rssModelBytes'),
              normalAnonHugeBytes: peak('normal', 'anonHugeBytes'),
              normalRssModelBytes: peak('normal', 'rssModelBytes'),
            },
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    const lines = [`recorded ${args.argv.join(' ')} -> ${relative(ctx.cwd, out)} (+ ${relative(ctx.cwd, sidecar)})`, ...conversionSummary(r)];
    if (r.traced.exitCode !== 0) lines.push(`WARNING: the traced run exited with ${r.traced.exitCode}: the log records a failed run`);
    if (r.normal && r.normal.exitCode !== r.traced.exitCode)
      lines.push(`WARNING: the normal run exited with ${r.normal.exitCode}, the traced one with ${r.traced.exitCode}: the two runs did different things`);
    if (r.lostFaults > 0) lines.push(`WARNING: perf lost ${r.lostFaults} fault records (its buffer overflowed): the log under-counts first touches`);
    if (r.unusable.length > 0) lines.push(`${r.unusable.length} trace lines could not be used (first: ${r.unusable[0]!.reason})`);
    lines.push(
      `traced run (THP disabled): ${(r.traced.durationMs / 1000).toFixed(2)} s, exit ${r.traced.exitCode}, peak RssAnon+RssShmem ${formatBytes(peak('traced', 'rssModelBytes'))}`,
    );
    if (r.normal) {
      lines.push(
        `normal run: ${(r.normal.durationMs / 1000).toFixed(2)} s, exit ${r.normal.exitCode}, peak AnonHugePages ${formatBytes(peak('normal', 'anonHugeBytes'))}, peak RssAnon+RssShmem ${formatBytes(peak('normal', 'rssModelBytes'))}`,
      );
      lines.push(
        'the two runs may differ: strace slows syscalls, so timing, khugepaged scans and process interleaving change; input-, clock- or randomness-driven programs may take other paths',
      );
    }
    lines.push(`replay it: pagelab run ${relative(ctx.cwd, out)} --design linux-6.15 --check`);
    ctx.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  });
}
