/**
 * `pagelab compare SCENARIO --designs ... --seeds 1..10`: the scenario
 * regenerated once per seed, each log replayed under every design. One
 * directory per seed (a plain comparison: compare.json and one run directory
 * per design), and beside them summary.csv (one row per seed and design),
 * stats.csv (per design and metric across seeds, paired deltas against the
 * baseline) and a compare.json that lists the replicates.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { stableStringify, writeFileAtomic } from '@pagelab/events';
import { PAGELAB_VERSION, type Design, type RunSummary } from '@pagelab/engine';
import { CliError, EXIT_CHECK_FAILED, EXIT_OK, type LabContext } from '../context.js';
import { checkFailures } from '../verdict.js';
import { slug, table } from '../format.js';
import { loadLog, parseParams, type LoadedLog } from '../log-source.js';
import { buildDirAtomically } from '../run-dir.js';
import { jobsOf, Progress, runCells } from '../pool/pool.js';
import type { CellTask } from '../pool/cell.js';
import { parseSeeds } from '../seeds.js';
import { parseSets, withSettings, type SettingsOverride } from '../settings-override.js';
import { compareManifest } from './compare-manifest.js';

export interface CompareSeedsArgs {
  readonly log: string;
  readonly seeds: string;
  readonly out?: string;
  readonly sampleEvery?: string | number;
  readonly param?: readonly string[];
  readonly set?: readonly string[];
  readonly force?: boolean;
  readonly report?: boolean;
  /** worker threads (default: the cores available) */
  readonly jobs?: string | number;
  /** `--check`: invariants at every sample; exit 1 if any replay failed an expect or broke an invariant */
  readonly check?: boolean;
}

/** What the replicates need checked before anything runs: a scenario with a seed parameter, and no seed in --param. */
async function checkReseedable(ctx: LabContext, arg: string, params: Record<string, unknown>): Promise<void> {
  if (existsSync(resolve(ctx.cwd, arg))) {
    throw new CliError(
      `--seeds: ${arg} is a log file, and a log's events are fixed: it cannot be reseeded. --seeds regenerates a scenario (see \`pagelab scenarios\`) once per seed; for logs recorded or generated elsewhere, compare each log on its own or list them in a sweep spec`,
    );
  }
  if ('seed' in params) throw new CliError('--seeds and --param seed=... both set the seed; give one of them');
  const s = (await ctx.loadScenarios()).find((x) => x.name === arg);
  if (s !== undefined && !s.params.some((p) => p.name === 'seed')) {
    throw new CliError(
      `--seeds: scenario ${s.name} has no seed parameter (it is the same log whatever the seed); expected a generated scenario such as mixed (\`pagelab scenarios\` lists the parameters)`,
    );
  }
}

export interface ReplicateDone {
  readonly seed: number;
  readonly dir: string;
  readonly logSha256: string;
  readonly events: number;
  readonly summaries: ReadonlyArray<{ name: string; dir: string; summary: RunSummary }>;
}

/** The replicated comparison; `designs` already checked (distinct). */
export async function compareSeeds(
  ctx: LabContext,
  args: CompareSeedsArgs,
  designs: readonly Design[],
  texts: readonly string[],
  report: (dir: string) => Promise<number>,
): Promise<number> {
  const seeds = parseSeeds(args.seeds);
  const params = parseParams(args.param ?? []);
  await checkReseedable(ctx, args.log, params);
  const sets: SettingsOverride = parseSets(args.set ?? []);
  const paramList = [...(args.param ?? [])];
  const load = async (seed: number) => withSettings(await loadLog(ctx, args.log, [...paramList, `seed=${seed}`]), sets);
  // The first seed's log is generated now, so a bad --param fails before any directory exists.
  const first = await load(seeds[0]!);
  const name = first.header.workload.name;
  const key = createHash('sha256')
    .update(stableStringify({ scenario: args.log, params, sets, seeds, designs: designs.map((d) => d.slug) }))
    .digest('hex');
  const range = seeds.length > 1 ? `${seeds[0]}-${seeds[seeds.length - 1]}` : String(seeds[0]);
  const target = resolve(ctx.cwd, args.out ?? `runs/${slug(name)}-compare-seeds-${range}-${key.slice(0, 8)}`);
  const { replicateTables, replicateHeadline, REPLICATE_HEADLINE, REPLICATE_METHOD } = await import('@pagelab/analysis');
  const t0 = Date.now();

  const result = await buildDirAtomically(
    target,
    async (dir) => {
      const tasks: CellTask[] = [];
      for (const seed of seeds) {
        await mkdir(join(dir, `seed-${seed}`));
        for (const d of designs) {
          const outDir = join(dir, `seed-${seed}`, d.slug);
          await mkdir(outDir);
          tasks.push({
            log: args.log,
            params: [...paramList, `seed=${seed}`],
            set: args.set ?? [],
            design: texts[designs.indexOf(d)]!,
            sampleEvery: args.sampleEvery,
            outDir,
            label: `seed ${seed} ${d.name}`,
            check: args.check ?? false,
          });
        }
      }
      // In this thread each seed's log is generated once and shared by its designs (then dropped).
      const logs = new Map<string, Promise<LoadedLog>>([[tasks[0]!.params.join('\0'), Promise.resolve(first)]]);
      const left = new Map<string, number>();
      for (const t of tasks) left.set(t.params.join('\0'), (left.get(t.params.join('\0')) ?? 0) + 1);
      const preloaded = (t: CellTask): Promise<LoadedLog> => {
        const k = t.params.join('\0');
        let l = logs.get(k);
        if (l === undefined) logs.set(k, (l = load(Number(t.params[t.params.length - 1]!.slice('seed='.length)))));
        const n = left.get(k)! - 1;
        left.set(k, n);
        if (n === 0) logs.delete(k);
        return l;
      };
      const jobs = jobsOf(args.jobs);
      const results = await runCells(ctx, tasks, jobs, new Progress(ctx, tasks.length, 'replays'), preloaded);
      const done: ReplicateDone[] = [];
      for (const [si, seed] of seeds.entries()) {
        const mine = results.slice(si * designs.length, (si + 1) * designs.length);
        const summaries = mine.map((r, i) => ({ name: designs[i]!.name, dir: designs[i]!.slug, summary: r.summary }));
        await writeFileAtomic(join(dir, `seed-${seed}`, 'compare.json'), compareManifest(ctx, mine[0]!, summaries));
        done.push({ seed, dir: `seed-${seed}`, logSha256: mine[0]!.sha256, events: mine[0]!.events, summaries });
      }
      const names = designs.map((d) => d.name);
      const tables = replicateTables(
        done.flatMap((r) => r.summaries.map((s) => ({ seed: r.seed, design: s.name, summary: s.summary }))),
        names,
      );
      await writeFileAtomic(join(dir, 'summary.csv'), tables.summaryCsv);
      await writeFileAtomic(join(dir, 'stats.csv'), tables.statsCsv);
      const manifest = {
        pagelab: PAGELAB_VERSION,
        kind: 'replicates',
        workload: { name, params },
        seeds,
        settings: sets,
        command: ctx.commandLine,
        designs: designs.map((d) => ({ name: d.name, dir: d.slug })),
        replicates: done.map((r) => ({ seed: r.seed, dir: r.dir, logSha256: r.logSha256, events: r.events })),
        statistics: REPLICATE_METHOD,
      };
      await writeFileAtomic(
        join(dir, 'compare.json'),
        `${JSON.stringify(JSON.parse(stableStringify(manifest, { leadingKeys: ['pagelab', 'kind', 'workload', 'seeds', 'settings', 'command', 'designs', 'replicates'] })), null, 2)}\n`,
      );
      return { tables, names, done };
    },
    { force: args.force ?? false },
  );

  const rows = replicateHeadline(result.tables.stats, result.names);
  const head = ['design', ...REPLICATE_HEADLINE.slice(0, 5).flatMap((h) => [h.title, 'Δ vs baseline'])];
  const body = rows.map((r) => [r.design, ...REPLICATE_HEADLINE.slice(0, 5).flatMap((h) => [r.cells[h.metric].text, r.cells[h.metric].deltaText])]);
  const shown = relative(ctx.cwd, target) || '.';
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  ctx.stdout(
    `${first.source}: ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}) × ${designs.length} design${designs.length === 1 ? '' : 's'}, ${first.events} events per log, ${secs} s\n` +
      `${REPLICATE_METHOD}; deltas against ${designs[0]!.name}\n\n${transpose(head, body)}\n\n` +
      `wrote ${shown}/ (stats.csv, summary.csv, compare.json, one directory per seed)\n`,
  );
  const reported = args.report ? await report(target) : EXIT_OK;
  if (reported !== EXIT_OK) return reported;
  if (args.check) {
    const failed = result.done
      .flatMap((r) => r.summaries.map((x) => ({ what: `seed ${r.seed} ${x.name}`, why: checkFailures(x.summary) })))
      .filter((x) => x.why !== null);
    for (const f of failed) ctx.stderr(`pagelab: check failed for ${f.what}: ${f.why}\n`);
    if (failed.length > 0) return EXIT_CHECK_FAILED;
  }
  return EXIT_OK;
}

/** The headline has more columns than a terminal: one block per design, one line per metric. */
function transpose(head: readonly string[], body: readonly (readonly string[])[]): string {
  const blocks: string[] = [];
  for (const row of body) {
    const lines: string[][] = [];
    for (let i = 1; i < head.length; i += 2) lines.push([head[i]!, row[i]!, row[i + 1]!]);
    blocks.push(`${row[0]}\n${table(['metric', 'mean ± 95% CI', 'Δ vs baseline'], lines)}`);
  }
  return blocks.join('\n\n');
}
