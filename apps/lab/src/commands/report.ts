/**
 * `pagelab report RUN_DIR`: the analysis report of a comparison (or of a
 * single run). What the report needs is checked first, so a problem is one
 * sentence naming the file; a single run gets a one-design compare.json,
 * which goes again if the report fails.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stableStringify, writeFileAtomic } from '@pagelab/events';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import { writeReportFor } from './compare.js';

/** The files every design's directory must hold for the report. */
const RUN_FILES = ['summary.json', 'observations.jsonl'] as const;

async function readJson(path: string, shown: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`${shown}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`${shown}: is not a JSON object (${e instanceof Error ? e.message : String(e)}); was it written by pagelab?`);
  }
}

function requireRunFiles(dir: string, shown: string, what: string): void {
  for (const f of RUN_FILES) {
    if (!existsSync(join(dir, f))) {
      throw new CliError(`${join(shown, f)} is missing: ${what} needs ${RUN_FILES.join(' and ')} (rerun \`pagelab run\` or \`pagelab compare\` to write them)`);
    }
  }
}

/** Checks a comparison directory's compare.json and the directories it lists. */
async function checkComparison(dir: string, shown: string): Promise<void> {
  const m = await readJson(join(dir, 'compare.json'), join(shown, 'compare.json'));
  // compare --seeds: each seed-N/ is a comparison of its own
  if (m['kind'] === 'replicates') {
    const reps = m['replicates'];
    if (!Array.isArray(reps) || reps.length === 0) throw new CliError(`${join(shown, 'compare.json')}: expected "replicates", a non-empty list of {seed, dir}`);
    for (const r of reps as { dir?: unknown }[]) {
      if (typeof r?.dir !== 'string') throw new CliError(`${join(shown, 'compare.json')}: every entry of "replicates" needs a dir`);
      await checkComparison(resolve(dir, r.dir), join(shown, r.dir));
    }
    return;
  }
  const designs = m['designs'];
  if (!Array.isArray(designs) || designs.length === 0)
    throw new CliError(`${join(shown, 'compare.json')}: expected "designs", a non-empty list of {name, dir}`);
  for (const d of designs as { name?: unknown; dir?: unknown }[]) {
    if (typeof d?.dir !== 'string' || typeof d?.name !== 'string')
      throw new CliError(`${join(shown, 'compare.json')}: every entry of "designs" needs a name and a dir`);
    const sub = resolve(dir, d.dir);
    if (!existsSync(sub)) throw new CliError(`${join(shown, d.dir)}: the directory of design ${d.name} is missing`);
    requireRunFiles(sub, join(shown, d.dir), `design ${d.name}`);
  }
}

/** A single run directory gets a one-design compare.json so the report can read it; returns its path. */
async function writeManifest(ctx: LabContext, dir: string, shown: string): Promise<string> {
  requireRunFiles(dir, shown, 'the report');
  const s = await readJson(join(dir, 'summary.json'), join(shown, 'summary.json'));
  const workload = (s['workload'] ?? {}) as { name?: unknown; seed?: unknown; params?: unknown };
  const design = (s['design'] ?? {}) as { name?: unknown };
  if (typeof workload.name !== 'string' || typeof s['logSha256'] !== 'string') {
    throw new CliError(`${join(shown, 'summary.json')}: expected the workload name and logSha256 a pagelab run writes`);
  }
  const manifest = {
    pagelab: s['pagelab'],
    // contracts.md lets a hand-written log leave out workload.params; the manifest always has them.
    workload: { name: workload.name, seed: workload.seed ?? 0, params: workload.params ?? {} },
    logSha256: s['logSha256'],
    command: ctx.commandLine,
    designs: [{ name: typeof design.name === 'string' ? design.name : 'design', dir: '.' }],
  };
  const path = join(dir, 'compare.json');
  await writeFileAtomic(path, `${JSON.stringify(JSON.parse(stableStringify(manifest)), null, 2)}\n`);
  return path;
}

export function reportCommand(ctx: LabContext, runDir: string): Promise<number> {
  return guarded(ctx, async () => {
    const dir = resolve(ctx.cwd, runDir);
    if (!existsSync(dir)) throw new CliError(`${runDir}: no such run directory`);
    if (!statSync(dir).isDirectory()) throw new CliError(`${runDir}: is a file; expected a run directory written by \`pagelab run\` or \`pagelab compare\``);
    let made: string | undefined;
    if (existsSync(join(dir, 'compare.json'))) await checkComparison(dir, runDir);
    else if (existsSync(join(dir, 'sweep.json'))) {
      // a sweep directory: the report reads its results.csv and stats.csv
      for (const f of ['results.csv', 'stats.csv'])
        if (!existsSync(join(dir, f)))
          throw new CliError(`${join(runDir, f)} is missing: rerun \`pagelab sweep\` (or \`pagelab sweep merge\` for shards) to write it`);
    } else if (existsSync(join(dir, 'summary.json'))) made = await writeManifest(ctx, dir, runDir);
    else throw new CliError(`${runDir}: expected a run directory from \`pagelab compare\` (with compare.json) or \`pagelab run\` (with summary.json)`);
    let code: number;
    try {
      code = await writeReportFor(ctx, dir);
    } catch (e) {
      if (made) await rm(made, { force: true });
      throw e;
    }
    // A failed report leaves the run directory as it found it.
    if (code !== EXIT_OK && made) await rm(made, { force: true });
    return code;
  });
}
