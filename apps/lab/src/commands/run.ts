/** `pagelab run LOG|SCENARIO --design DESIGN`: one replay into one run directory. */
import { relative, resolve } from 'node:path';
import type { RunSummary } from '@pagelab/engine';
import { EXIT_CHECK_FAILED, EXIT_OK, guarded, type LabContext } from '../context.js';
import { autoSampleEvery, loadDesigns, sampleEveryOf } from '../designs.js';
import { formatBytes, formatCount, formatPercent, slug } from '../format.js';
import { loadLog } from '../log-source.js';
import { parseSets, withSettings } from '../settings-override.js';
import { buildDirAtomically } from '../run-dir.js';
import { writeRunFiles } from '../run-files.js';

export interface RunArgs {
  readonly log: string;
  readonly design: string;
  readonly out?: string;
  readonly check?: boolean;
  readonly sampleEvery?: string | number;
  readonly param?: readonly string[];
  /** `--set KEY=VALUE`: tunables of the log header overridden */
  readonly set?: readonly string[];
  readonly force?: boolean;
}

/** One line of headline numbers for a finished run. */
export function headline(s: RunSummary): string {
  const m = s.metrics;
  return (
    `waste ${formatBytes(m.wasteBytes)} (peak ${formatBytes(m.peakWasteBytes)}), locked ops ${formatCount(m.lockedOps)}, ` +
    `huge coverage ${formatPercent(m.hugeCoverage)}, expectations ${s.expectations.passed} passed / ${s.expectations.failed} failed` +
    (s.invariantViolations ? `, ${s.invariantViolations} invariant violation${s.invariantViolations === 1 ? '' : 's'}` : '')
  );
}

/** Why `--check` fails, or null. */
export function checkFailures(s: RunSummary): string | null {
  const why: string[] = [];
  if (s.expectations.failed > 0) {
    const f = s.expectations.failures
      .slice(0, 5)
      .map((x) => `line ${x.line}${x.label ? ` (${x.label})` : ''}: ${x.check} expected ${JSON.stringify(x.expected)}, got ${JSON.stringify(x.actual)}`);
    why.push(`${s.expectations.failed} expectation${s.expectations.failed === 1 ? '' : 's'} failed: ${f.join('; ')}${s.expectations.failed > 5 ? '; ...' : ''}`);
  }
  if (s.invariantViolations > 0) why.push(`${s.invariantViolations} invariant violation${s.invariantViolations === 1 ? '' : 's'} (see the invariant.violated lines of observations.jsonl)`);
  return why.length ? why.join('; ') : null;
}

export function runCommand(ctx: LabContext, args: RunArgs): Promise<number> {
  return guarded(ctx, async () => {
        const [design] = await loadDesigns(ctx, [args.design]);
    const sets = parseSets(args.set ?? []);
    const log = withSettings(await loadLog(ctx, args.log, args.param ?? []), sets);
    const sampleEvery = sampleEveryOf(args.sampleEvery, autoSampleEvery(log.events));
    const target = resolve(ctx.cwd, args.out ?? `runs/${slug(log.header.workload.name)}-${design!.slug}-${log.sha256.slice(0, 8)}`);
    const summary = await buildDirAtomically(
      target,
      (dir) => writeRunFiles(ctx, log, design!, { sampleEvery, checkInvariants: args.check ? 'sample' : false }, dir),
      { force: args.force ?? false },
    );
    const shown = relative(ctx.cwd, target) || '.';
    ctx.stdout(`${log.source} under ${design!.name}: ${summary.events} events; ${headline(summary)}\nwrote ${shown}/ (observations.jsonl, summary.json, provenance.json)\n`);
    if (args.check) {
      const why = checkFailures(summary);
      if (why) {
        ctx.stderr(`pagelab: check failed: ${why}\n`);
        return EXIT_CHECK_FAILED;
      }
    }
    return EXIT_OK;
  });
}
