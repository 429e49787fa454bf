/**
 * `pagelab sweep SPEC`: every cell of a sweep spec (workloads × parameter
 * grids × seeds × settings × designs) replayed on the worker pool, each into
 * its content-addressed cache directory; then results.csv, results.parquet
 * and stats.csv over all of them. Re-running the same or a widened spec runs
 * only the cells not in the cache.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { stableStringify, writeFileAtomic } from '@pagelab/events';
import { PAGELAB_VERSION, designJson } from '@pagelab/engine';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import type { CellTask } from '../pool/cell.js';
import { jobsOf, LocalExecutor, Progress, type CellExecutor } from '../pool/pool.js';
import { DEFAULT_QUEUE_NAME, parseQueueUrl, probeRedis, QueueExecutor } from '../pool/queue.js';
import { parseSets } from '../settings-override.js';
import { cellDir, expandCells, isCached, type Cell } from '../sweep/cells.js';
import { readSpec } from '../sweep/spec.js';
import { parquetBytes, sweepTables, type CellId } from '../sweep/results.js';

export interface SweepArgs {
  readonly spec: string;
  readonly out?: string;
  readonly jobs?: string | number;
  /** tunables set for every cell (a key the spec sweeps cannot be set here too) */
  readonly set?: readonly string[];
  /** `I/N`: run only the I-th of N shares of the cells (Slurm job arrays, Kubernetes Indexed Jobs) */
  readonly shard?: string;
  /** redis://HOST:PORT: the cells go to a BullMQ queue, run by `pagelab worker` processes anywhere */
  readonly queue?: string;
  readonly queueName?: string;
}

export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN,
    count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new CliError(
      `--shard "${text}": expected I/N with 1 <= I <= N, e.g. --shard 3/8 (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX+1)`,
    );
  return { index, count };
}

/** results.csv, results.parquet and stats.csv of the cells, read from dir/cells/. */
export async function writeSweepOutputs(dir: string, ids: readonly CellId[], designs: readonly string[]) {
  const a = await import('@pagelab/analysis');
  const summaries = [];
  for (const c of ids) {
    const p = join(cellDir(dir, c.key), 'summary.json');
    if (!existsSync(p)) throw new CliError(`${p}: missing; cell ${c.key} (${c.workload} seed ${c.seed}, ${c.design}) has not run here`);
    summaries.push(a.summaryFrom(JSON.parse(await readFile(p, 'utf8')), p));
  }
  const tables = sweepTables(ids, summaries, designs, a);
  await writeFileAtomic(join(dir, 'results.csv'), tables.csv);
  await writeFile(join(dir, '.results.parquet.tmp'), await parquetBytes(tables.columns));
  await rename(join(dir, '.results.parquet.tmp'), join(dir, 'results.parquet'));
  await writeFileAtomic(join(dir, 'stats.csv'), tables.statsCsv);
  return tables;
}

/**
 * `pagelab sweep merge DIR... --out OUT`: the cells of several shard directories of one sweep into OUT
 * (which may be one of them), then the same outputs as an unsharded sweep. Every cell must be in some DIR.
 */
export function sweepMergeCommand(ctx: LabContext, dirs: readonly string[], out?: string): Promise<number> {
  return guarded(ctx, async () => {
    if (dirs.length === 0)
      throw new CliError('sweep merge: expected one or more sweep directories (the shards), e.g. pagelab sweep merge sweeps/a-1 sweeps/a-2 --out sweeps/a');
    const abs = dirs.map((d) => resolve(ctx.cwd, d));
    const manifests = [];
    for (const d of abs) {
      const p = join(d, 'sweep.json');
      if (!existsSync(p)) throw new CliError(`${p}: missing; expected a directory written by pagelab sweep`);
      manifests.push(JSON.parse(await readFile(p, 'utf8')) as { designs: string[]; cells: CellId[]; spec: string; command: string });
    }
    const keys = (m: { cells: CellId[] }) =>
      m.cells
        .map((c) => c.key)
        .sort()
        .join(',');
    for (const [i, m] of manifests.entries())
      if (keys(m) !== keys(manifests[0]!))
        throw new CliError(`${dirs[i]}: a different sweep (its cells differ from those of ${dirs[0]}); merge shards of one spec only`);
    const target = resolve(ctx.cwd, out ?? dirs[0]!);
    await mkdir(join(target, 'cells'), { recursive: true });
    let copied = 0;
    for (const d of abs) {
      if (d === target || !existsSync(join(d, 'cells'))) continue;
      for (const c of manifests[0]!.cells) {
        const from = cellDir(d, c.key);
        if (existsSync(join(from, 'summary.json')) && !isCached(target, c.key)) {
          await cp(from, cellDir(target, c.key), { recursive: true });
          copied++;
        }
      }
    }
    const m0 = manifests[0]!;
    const tables = await writeSweepOutputs(target, m0.cells, m0.designs);
    await writeFileAtomic(join(target, 'sweep.json'), `${JSON.stringify({ ...m0, shard: undefined, merged: dirs, command: ctx.commandLine }, null, 2)}\n`);
    ctx.stdout(
      `merged ${dirs.length} director${dirs.length === 1 ? 'y' : 'ies'} (${copied} cells copied): ${m0.cells.length} cells; wrote ${relative(ctx.cwd, target) || '.'}/results.csv, results.parquet, stats.csv (per ${tables.groupColumns.join(', ')})\n`,
    );
    return EXIT_OK;
  });
}

export function sweepCommand(ctx: LabContext, args: SweepArgs): Promise<number> {
  return guarded(ctx, async () => {
    const specPath = resolve(ctx.cwd, args.spec);
    if (args.queue !== undefined && args.jobs !== undefined)
      throw new CliError('--jobs with --queue: each worker sets its own (pagelab worker --queue URL --jobs N); drop --jobs');
    if (args.queue !== undefined && args.shard !== undefined)
      throw new CliError('--shard with --queue: the queue already spreads the cells over its workers; use one of them');
    const queueTarget = args.queue === undefined ? undefined : parseQueueUrl(args.queue, args.queueName ?? DEFAULT_QUEUE_NAME);
    if (queueTarget) await probeRedis(queueTarget); // before the logs are built: a wrong URL is said at once
    const spec0 = await readSpec(specPath);
    const fixed = parseSets(args.set ?? []);
    for (const k of Object.keys(fixed)) if (k in spec0.settings) throw new CliError(`--set ${k}: the spec sweeps ${k} already; drop one of them`);
    const spec = { ...spec0, settings: { ...spec0.settings, ...Object.fromEntries(Object.entries(fixed).map(([k, v]) => [k, [v!]])) } };
    const jobs = jobsOf(args.jobs);
    const dir = resolve(ctx.cwd, args.out ?? `sweeps/${basename(specPath).replace(/\.(ya?ml|json)$/i, '')}`);
    const t0 = Date.now();

    const cells = await expandCells(ctx, spec);
    const unique = new Map<string, Cell>();
    for (const c of cells) if (!unique.has(c.key)) unique.set(c.key, c);
    const shard = args.shard === undefined ? undefined : parseShard(args.shard);
    // a shard takes every N-th cell in key order: the same split on every machine, whatever the spec's order
    const mine = [...unique.values()].sort((x, y) => (x.key < y.key ? -1 : 1)).filter((_, i) => shard === undefined || i % shard.count === shard.index - 1);
    const todo = mine.filter((c) => !isCached(dir, c.key));
    // One code path for every executor: the cache, the cell files and the tables below do not know where cells ran.
    const executor: CellExecutor = queueTarget
      ? new QueueExecutor(queueTarget, { note: (line) => ctx.stderr(`${line}\n`) })
      : new LocalExecutor(ctx, Math.min(jobs, Math.max(1, todo.length)));
    ctx.stderr(
      `${relative(ctx.cwd, specPath)}: ${cells.length} cells${shard ? `, shard ${shard.index}/${shard.count} takes ${mine.length}` : ''} (${mine.length - todo.length} in the cache), running ${todo.length} on ${executor.description}\n`,
    );
    await mkdir(join(dir, 'cells'), { recursive: true });

    const pending = new Set<string>();
    const tasks: CellTask[] = [];
    for (const c of todo) {
      const tmp = join(dir, 'cells', `.${c.key}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`);
      await mkdir(tmp);
      pending.add(tmp);
      tasks.push({ log: c.arg, params: c.paramList, set: c.setList, design: c.designText, sampleEvery: c.sampleEvery, outDir: tmp, label: c.key });
    }
    const cellOf = new Map(todo.map((c, i) => [tasks[i]!.outDir, c]));
    try {
      await executor.run(tasks, {
        progress: new Progress(ctx, tasks.length, 'cells'),
        onDone: async (t, r) => {
          const c = cellOf.get(t.outDir)!;
          const identity = {
            key: c.key,
            workload: c.workload,
            kind: c.kind,
            params: c.params,
            seed: c.seed,
            design: c.designText,
            designJson: designJson(c.design),
            settings: c.settings,
            logSha256: r.sha256,
            sampleEvery: c.sampleEvery,
          };
          if (r.sha256 !== c.logSha256)
            throw new CliError(
              `cell ${c.key}: the worker rebuilt a different log (sha256 ${r.sha256}, expected ${c.logSha256}); is the scenario deterministic?`,
            );
          await writeFile(join(t.outDir, 'cell.json'), `${JSON.stringify(JSON.parse(stableStringify(identity)), null, 2)}\n`);
          const target = cellDir(dir, c.key);
          if (existsSync(target)) await rm(t.outDir, { recursive: true, force: true });
          else await rename(t.outDir, target);
          pending.delete(t.outDir);
        },
      });
    } finally {
      await executor.close();
      for (const p of pending) await rm(p, { recursive: true, force: true });
    }

    const ids: CellId[] = cells.map((c) => ({
      key: c.key,
      workload: c.workload,
      params: c.params,
      seed: c.seed,
      design: c.designText,
      settings: c.settings,
      logSha256: c.logSha256,
    }));
    const manifest = {
      pagelab: PAGELAB_VERSION,
      kind: 'sweep',
      spec: relative(dir, specPath),
      command: ctx.commandLine,
      designs: spec.designs,
      cells: ids,
      ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
    };
    await writeFileAtomic(
      join(dir, 'sweep.json'),
      `${JSON.stringify(JSON.parse(stableStringify(manifest, { leadingKeys: ['pagelab', 'kind', 'spec', 'command', 'designs'] })), null, 2)}\n`,
    );
    const shown = relative(ctx.cwd, dir) || '.';
    if (shard) {
      ctx.stdout(
        `shard ${shard.index}/${shard.count}: ${todo.length} cells run, ${mine.length - todo.length} from the cache (of ${unique.size} in the sweep), ${((Date.now() - t0) / 1000).toFixed(1)} s; wrote ${shown}/cells/ and sweep.json\nwhen every shard is done: pagelab sweep merge ${shown} OTHER_SHARD_DIRS... --out DIR\n`,
      );
      return EXIT_OK;
    }
    const tables = await writeSweepOutputs(dir, ids, spec.designs);
    ctx.stdout(
      `${cells.length} cells: ${todo.length} run, ${cells.length - todo.length} from the cache, ${((Date.now() - t0) / 1000).toFixed(1)} s\n` +
        `wrote ${shown}/results.csv, results.parquet (one row per cell), stats.csv (per ${tables.groupColumns.join(', ')} and design across seeds), sweep.json; cells/ is the cache\n`,
    );
    return EXIT_OK;
  });
}
