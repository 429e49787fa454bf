/** `pagelab compare LOG|SCENARIO --designs D1,D2,...`: one log, several designs, one directory. */
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@pagelab/events';
import type { RunSummary } from '@pagelab/engine';
import { CliError, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, guarded, type LabContext } from '../context.js';
import { autoSampleEvery, loadDesigns, sampleEveryOf } from '../designs.js';
import { formatBytes, formatCount, formatDelta, formatPercent, slug, table } from '../format.js';
import { loadLog } from '../log-source.js';
import { parseSets, withSettings } from '../settings-override.js';
import { compareManifest } from './compare-manifest.js';
import { buildDirAtomically, outGuards } from '../run-dir.js';
import { invariantOptions, writeRunFiles } from '../run-files.js';
import { checkFailures, compareInvariantNote, outcomeNotes } from '../verdict.js';
import { errorSentence } from '../error-sentence.js';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';

export interface CompareArgs {
  readonly log: string;
  /** Comma-separated at the command line; overrides contain commas too, so each element may hold several. */
  readonly designs: readonly string[];
  readonly out?: string;
  readonly report?: boolean;
  readonly sampleEvery?: string | number;
  readonly param?: readonly string[];
  /** `--set KEY=VALUE`: tunables of the log header overridden */
  readonly set?: readonly string[];
  /** `--seeds 1..10`: regenerate the scenario once per seed (compare-seeds.ts) */
  readonly seeds?: string;
  /** worker threads for --seeds (default: the cores available) */
  readonly jobs?: string | number;
  readonly force?: boolean;
  /** `--check`: invariants at every sample; exit 1 if any design failed an expect, broke an invariant or ran out of memory unasked */
  readonly check?: boolean;
}

/**
 * Splits `--designs` into design strings. A comma starts a new design, except
 * that an override (`axis=...`, `param....`) after a design that already has
 * overrides continues it: `linux-3.13:refcount=head-refcount,param.thpCow=pte,linux-5.8`
 * is two designs; `linux-6.10,sharedness=precise-mapcount` is two as well.
 * `--designs` may also be repeated, one design each.
 */
export function splitDesigns(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    const mine: string[] = [];
    for (const piece of item.split(/,(?![^()]*\))/)) {
      const p = piece.trim();
      if (p === '') continue;
      const prev = mine[mine.length - 1];
      const continues = prev !== undefined && /[:=]/.test(prev) && /^([a-z-]+=|param\.)/.test(p) && !/^[a-z0-9.-]+:/.test(p);
      if (continues) mine[mine.length - 1] = `${prev},${p}`;
      else mine.push(p);
    }
    out.push(...mine);
  }
  return out;
}

/** The headline table: one row per design, deltas against the first. */
export function headlineTable(rows: readonly { name: string; summary: RunSummary }[]): string {
  const base = rows[0]!.summary;
  const split = (s: RunSummary) => s.outcomes['split_page']?.failed ?? 0;
  const body = rows.map(({ name, summary: s }, i) => {
    const first = i === 0;
    const d = (v: number, b: number, f: (n: number) => string) => (first ? '' : formatDelta(v, b, f));
    const mean = (x: RunSummary) => x.overRun?.meanWasteBytes ?? 0;
    return [
      name,
      formatBytes(mean(s)),
      d(mean(s), mean(base), formatBytes),
      formatBytes(s.metrics.wasteBytes),
      d(s.metrics.wasteBytes, base.metrics.wasteBytes, formatBytes),
      formatBytes(s.metrics.peakWasteBytes),
      d(s.metrics.peakWasteBytes, base.metrics.peakWasteBytes, formatBytes),
      formatCount(s.metrics.lockedOps),
      d(s.metrics.lockedOps, base.metrics.lockedOps, formatCount),
      formatCount(split(s)),
      d(split(s), split(base), formatCount),
      formatPercent(s.metrics.hugeCoverage),
      first
        ? ''
        : s.metrics.hugeCoverage === base.metrics.hugeCoverage
          ? '='
          : `${s.metrics.hugeCoverage > base.metrics.hugeCoverage ? '+' : '-'}${(Math.abs(s.metrics.hugeCoverage - base.metrics.hugeCoverage) * 100).toFixed(1)} pt`,
      `${s.expectations.passed}/${s.expectations.passed + s.expectations.failed}`,
    ];
  });
  return table(
    ['design', 'mean waste', 'Δ', 'end waste', 'Δ', 'peak waste', 'Δ', 'locked ops', 'Δ', 'split failures', 'Δ', 'huge coverage', 'Δ', 'expects ok'],
    body,
  );
}

export function compareCommand(ctx: LabContext, args: CompareArgs): Promise<number> {
  return guarded(ctx, async () => {
    const texts = splitDesigns(args.designs);
    if (texts.length === 0) throw new CliError('--designs: expected one or more designs separated by commas, e.g. --designs linux-3.13,linux-4.5');
    const designs = await loadDesigns(ctx, texts);
    const seen = new Map<string, string>();
    for (const [i, d] of designs.entries()) {
      const prev = seen.get(d.slug);
      if (prev !== undefined) throw new CliError(`--designs: "${texts[i]}" is the same design as "${prev}" (${d.name}); give each design once`);
      seen.set(d.slug, texts[i]!);
    }
    if (args.seeds !== undefined) {
      const { compareSeeds } = await import('./compare-seeds.js');
      return compareSeeds(ctx, { ...args, seeds: args.seeds }, designs, texts, (dir) => writeReportFor(ctx, dir));
    }
    const sets = parseSets(args.set ?? []);
    const log = withSettings(await loadLog(ctx, args.log, args.param ?? []), sets);
    const sampleEvery = sampleEveryOf(args.sampleEvery, autoSampleEvery(log.events));
    const target = resolve(ctx.cwd, args.out ?? `runs/${slug(log.header.workload.name)}-compare-${log.sha256.slice(0, 8)}`);
    const rows = await buildDirAtomically(
      target,
      async (dir) => {
        const done: { name: string; dir: string; summary: RunSummary }[] = [];
        for (const d of designs) {
          const sub = join(dir, d.slug);
          await mkdir(sub);
          const inv = invariantOptions(args.check ?? false, sampleEvery, log.events);
          const summary = await writeRunFiles(
            ctx,
            log,
            d,
            {
              sampleEvery,
              checkInvariants: inv.checkInvariants,
              ...(inv.invariantEvery !== undefined ? { invariantEvery: inv.invariantEvery } : {}),
              label: d.name,
            },
            sub,
          );
          done.push({ name: d.name, dir: d.slug, summary });
        }
        await writeFileAtomic(join(dir, 'compare.json'), compareManifest(ctx, log, done));
        return done;
      },
      { force: args.force ?? false, ...outGuards(ctx.cwd, log) },
    );
    const shown = relative(ctx.cwd, target) || '.';
    ctx.stdout(
      `${log.source}: ${log.events} events under ${designs.length} design${designs.length === 1 ? '' : 's'} (deltas against ${rows[0]!.name})\n\n${headlineTable(rows)}\n${rows
        .map((r) => outcomeNotes(r.name, r.summary))
        .filter((l) => l !== '')
        .map((l) => `${l}\n`)
        .join(
          '',
        )}${compareInvariantNote(rows, invariantOptions(args.check ?? false, sampleEvery, log.events).how)}\n\nwrote ${shown}/ (compare.json and one directory per design)\n`,
    );
    // A recorded log (LOG.smaps.jsonl beside it): the kernel's AnonHugePages/Rss beside the model's (observed.ts).
    const observed = await (
      await import('./observed.js')
    )
      .observedSection(ctx, args.log, target)
      .catch((e: unknown) => [`observed vs model: not written (${e instanceof Error ? e.message : String(e)})`]);
    if (observed.length > 0) ctx.stdout(`\n${observed.join('\n')}\n`);
    if (args.report) {
      const code = await writeReportFor(ctx, target);
      if (code !== EXIT_OK) return code;
    }
    if (args.check) {
      const failed = rows.map((r) => ({ name: r.name, why: checkFailures(r.summary) })).filter((r) => r.why !== null);
      for (const r of failed) ctx.stderr(`pagelab: check failed for ${r.name}: ${r.why}\n`);
      if (failed.length > 0) return EXIT_CHECK_FAILED;
    }
    return EXIT_OK;
  });
}

/** writeReport from @pagelab/analysis, imported only when asked for. */
export async function writeReportFor(ctx: LabContext, dir: string): Promise<number> {
  let analysis;
  try {
    analysis = await ctx.loadAnalysis();
  } catch (e) {
    ctx.stderr(
      `pagelab: the report needs @pagelab/analysis, which could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); the run data in ${relative(ctx.cwd, dir) || '.'} is complete.\n`,
    );
    return EXIT_BAD_INPUT;
  }
  try {
    await analysis.writeReport(dir, { command: ctx.commandLine });
  } catch (e) {
    ctx.stderr(`pagelab: writing the report failed: ${errorSentence(e)}\n`);
    return EXIT_BAD_INPUT;
  }
  // a sweep's tables are results.csv and stats.csv, already there; a comparison's report writes summary.csv
  const tables = existsSync(join(dir, 'sweep.json')) && !existsSync(join(dir, 'compare.json')) ? 'charts/' : 'summary.csv, charts/';
  ctx.stdout(`report: ${relative(ctx.cwd, join(dir, 'report.html'))} (and report.md, ${tables})\n`);
  return EXIT_OK;
}
