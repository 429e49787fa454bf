/** `pagelab run LOG|SCENARIO --design DESIGN`: one replay into one run directory. */
import { relative, resolve } from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, guarded, type LabContext } from '../context.js';
import { autoSampleEvery, loadDesigns, sampleEveryOf } from '../designs.js';
import { slug } from '../format.js';
import { loadLog } from '../log-source.js';
import { parseSets, withSettings } from '../settings-override.js';
import { buildDirAtomically, outGuards } from '../run-dir.js';
import { invariantOptions, writeRunFiles } from '../run-files.js';
import { checkFailures, headline, invariantNote } from '../verdict.js';

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

export { checkFailures, headline } from '../verdict.js';

export function runCommand(ctx: LabContext, args: RunArgs): Promise<number> {
  return guarded(ctx, async () => {
    const [design] = await loadDesigns(ctx, [args.design]);
    const sets = parseSets(args.set ?? []);
    const log = withSettings(await loadLog(ctx, args.log, args.param ?? []), sets);
    const sampleEvery = sampleEveryOf(args.sampleEvery, autoSampleEvery(log.events));
    const target = resolve(ctx.cwd, args.out ?? `runs/${slug(log.header.workload.name)}-${design!.slug}-${log.sha256.slice(0, 8)}`);
    const inv = invariantOptions(args.check ?? false, sampleEvery, log.events);
    const summary = await buildDirAtomically(target, (dir) => writeRunFiles(ctx, log, design!, { sampleEvery, ...inv }, dir), {
      force: args.force ?? false,
      ...outGuards(ctx.cwd, log),
    });
    const shown = relative(ctx.cwd, target) || '.';
    ctx.stdout(
      `${log.source} under ${design!.name}: ${summary.events} events; ${headline(summary)}\n${invariantNote(summary, inv.how)}\nwrote ${shown}/ (observations.jsonl, summary.json, provenance.json)\n`,
    );
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
