/**
 * `pagelab sweep SPEC`: every cell of a sweep spec (workloads × parameter
 * grids × seeds × settings × designs) replayed on the worker pool, each into
 * its content-addressed cache directory; then results.csv, results.parquet
 * and stats.csv over all of them. Re-running the same or a widened spec runs
 * only the cells not in the cache.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { stableStringify, writeFileAtomic } from '@pagelab/events';
import { PAGELAB_VERSION, designJson } from '@pagelab/engine';
import { CliError, EXIT_OK, guarded, type LabContext } from '../context.js';
import type { CellTask } from '../pool/cell.js';
import { jobsOf, Progress, runCells } from '../pool/pool.js';
import { parseSets } from '../settings-override.js';
import { cellDir, expandCells, isCached, type Cell } from '../sweep/cells.js';
import { readSpec } from '../sweep/spec.js';
import { parquetBytes, sweepTables } from '../sweep/results.js';

export interface SweepArgs {
  readonly spec: string;
  readonly out?: string;
  readonly jobs?: string | number;
  /** tunables set for every cell (a key the spec sweeps cannot be set here too) */
  readonly set?: readonly string[];
}

export function sweepCommand(ctx: LabContext, args: SweepArgs): Promise<number> {
  return guarded(ctx, async () => {
    const specPath = resolve(ctx.cwd, args.spec);
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
    const todo = [...unique.values()].filter((c) => !isCached(dir, c.key));
    ctx.stderr(`${relative(ctx.cwd, specPath)}: ${cells.length} cells (${unique.size - todo.length} in the cache), running ${todo.length} on ${Math.min(jobs, Math.max(1, todo.length))} worker${jobs === 1 ? '' : 's'}\n`);
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
      await runCells(ctx, tasks, jobs, new Progress(ctx, tasks.length, 'cells'), undefined, async (t, r) => {
        const c = cellOf.get(t.outDir)!;
        const identity = {
          key: c.key, workload: c.workload, kind: c.kind, params: c.params, seed: c.seed, design: c.designText, designJson: designJson(c.design),
          settings: c.settings, logSha256: r.sha256, sampleEvery: c.sampleEvery,
        };
        if (r.sha256 !== c.logSha256) throw new CliError(`cell ${c.key}: the worker rebuilt a different log (sha256 ${r.sha256}, expected ${c.logSha256}); is the scenario deterministic?`);
        await writeFile(join(t.outDir, 'cell.json'), `${JSON.stringify(JSON.parse(stableStringify(identity)), null, 2)}\n`);
        const target = cellDir(dir, c.key);
        if (existsSync(target)) await rm(t.outDir, { recursive: true, force: true });
        else await rename(t.outDir, target);
        pending.delete(t.outDir);
      });
    } finally {
      for (const p of pending) await rm(p, { recursive: true, force: true });
    }

    const a = await import('@pagelab/analysis');
    const summaries = [];
    for (const c of cells) {
      const p = join(cellDir(dir, c.key), 'summary.json');
      summaries.push(a.summaryFrom(JSON.parse(await readFile(p, 'utf8')), p));
    }
    const tables = sweepTables(cells, summaries, spec.designs, a);
    await writeFileAtomic(join(dir, 'results.csv'), tables.csv);
    await writeFile(join(dir, '.results.parquet.tmp'), await parquetBytes(tables.columns));
    await rename(join(dir, '.results.parquet.tmp'), join(dir, 'results.parquet'));
    await writeFileAtomic(join(dir, 'stats.csv'), tables.statsCsv);
    const manifest = {
      pagelab: PAGELAB_VERSION,
      kind: 'sweep',
      spec: relative(dir, specPath),
      command: ctx.commandLine,
      designs: spec.designs,
      groupColumns: tables.groupColumns,
      cells: cells.map((c) => ({ key: c.key, workload: c.workload, params: c.params, seed: c.seed, design: c.designText, settings: c.settings, logSha256: c.logSha256 })),
    };
    await writeFileAtomic(join(dir, 'sweep.json'), `${JSON.stringify(JSON.parse(stableStringify(manifest, { leadingKeys: ['pagelab', 'kind', 'spec', 'command', 'designs'] })), null, 2)}\n`);
    const shown = relative(ctx.cwd, dir) || '.';
    ctx.stdout(
      `${cells.length} cells: ${todo.length} run, ${cells.length - todo.length} from the cache, ${((Date.now() - t0) / 1000).toFixed(1)} s\n` +
        `wrote ${shown}/results.csv, results.parquet (one row per cell), stats.csv (per ${tables.groupColumns.join(', ')} and design across seeds), sweep.json; cells/ is the cache\n`,
    );
    return EXIT_OK;
  });
}
