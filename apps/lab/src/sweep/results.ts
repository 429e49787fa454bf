/**
 * A sweep's tables: results.csv and results.parquet (one row per cell: the
 * identifying columns first, then every summary metric with its unit in its
 * name) and stats.csv (per workload, parameters and settings, each design
 * across the seeds, with paired deltas against the spec's first design).
 */
import type { Summary } from '@pagelab/analysis';
import type { Cell } from './cells.js';

/** What the tables need of a cell (sweep.json lists the same fields). */
export type CellId = Pick<Cell, 'key' | 'workload' | 'params' | 'seed' | 'settings' | 'logSha256'> & { readonly design: string };

type Analysis = typeof import('@pagelab/analysis');
type Scalar = string | number | boolean;
type Value = string | number | undefined;

export interface Column {
  readonly name: string;
  readonly type: 'STRING' | 'INT64' | 'DOUBLE';
  readonly values: Value[];
}

const settingColumn = (k: string) => k.replace(/[^A-Za-z0-9]+/g, '_');

/** Identifying columns of a cell, by name, in order. */
function idColumns(cells: readonly CellId[], summaries: readonly Summary[], a: Analysis): Column[] {
  const params = [...new Set(cells.flatMap((c) => Object.keys(c.params)))].sort();
  const settings = [...new Set(cells.flatMap((c) => Object.keys(c.settings)))].sort();
  const typed = (vs: Array<Scalar | undefined>): 'STRING' | 'DOUBLE' => (vs.every((v) => v === undefined || typeof v === 'number') ? 'DOUBLE' : 'STRING');
  const scalarCol = (name: string, vs: Array<Scalar | undefined>): Column => {
    const type = typed(vs);
    return { name, type, values: vs.map((v) => (v === undefined ? undefined : type === 'DOUBLE' ? (v as number) : String(v))) };
  };
  return [
    { name: 'cell', type: 'STRING', values: cells.map((c) => c.key) },
    { name: 'workload', type: 'STRING', values: cells.map((c) => c.workload) },
    ...params.map((p) =>
      scalarCol(
        `param_${settingColumn(p)}`,
        cells.map((c) => c.params[p]),
      ),
    ),
    { name: 'seed', type: 'INT64', values: cells.map((c) => c.seed) },
    { name: 'design', type: 'STRING', values: cells.map((c) => c.design) },
    ...a.POLICY_AXES.map((ax): Column => ({ name: `${settingColumn(ax)}_policy`, type: 'STRING', values: summaries.map((s) => a.policyOf(s, ax)) })),
    ...settings.map((k) =>
      scalarCol(
        settingColumn(k),
        cells.map((c) => c.settings[k]),
      ),
    ),
    { name: 'log_sha256', type: 'STRING', values: cells.map((c) => c.logSha256) },
  ];
}

export interface SweepTables {
  readonly columns: Column[];
  readonly csv: string;
  readonly statsCsv: string;
  /** columns that identify a stats group (workload, params, settings) */
  readonly groupColumns: string[];
}

export function sweepTables(cells: readonly CellId[], summaries: readonly Summary[], designs: readonly string[], a: Analysis): SweepTables {
  const ids = idColumns(cells, summaries, a);
  const metrics = a.metricColumns(summaries);
  const columns: Column[] = [...ids, ...metrics.map((m): Column => ({ name: m.name, type: 'DOUBLE', values: summaries.map((s) => m.get(s)) }))];
  const lines = [columns.map((c) => c.name).join(',')];
  for (let i = 0; i < cells.length; i++) lines.push(columns.map((c) => a.csvField(c.values[i])).join(','));

  // stats: group by workload, each parameter and each setting; designs across seeds within a group
  const groupColumns = ids
    .filter((c) => c.name === 'workload' || c.name.startsWith('param_') || cells.some((x) => Object.keys(x.settings).some((k) => settingColumn(k) === c.name)))
    .map((c) => c.name);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const groups = new Map<string, number[]>();
  for (let i = 0; i < cells.length; i++) {
    const k = groupColumns.map((g) => String(byName.get(g)!.values[i] ?? '')).join('\u0000');
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(i);
  }
  const statLines = [[...groupColumns, ...a.stats.STATS_COLUMNS].join(',')];
  for (const rows of groups.values()) {
    const reps = rows.map((i) => {
      const m: Record<string, number> = {};
      for (const mc of metrics) {
        const v = byName.get(mc.name)!.values[i];
        if (typeof v === 'number') m[mc.name] = v;
      }
      return { design: cells[i]!.design, seed: cells[i]!.seed, metrics: m };
    });
    const present = designs.filter((d) => reps.some((r) => r.design === d));
    const head = groupColumns.map((g) => a.csvField(byName.get(g)!.values[rows[0]!]));
    for (const r of a.stats.replicateStats(
      reps,
      present,
      metrics.map((m) => m.name),
    ))
      statLines.push([...head, ...a.stats.statsRowCells(r)].join(','));
  }
  return { columns, csv: lines.join('\n') + '\n', statsCsv: statLines.join('\n') + '\n', groupColumns };
}

/** results.parquet's bytes: the same columns, typed (strings, INT64 seed, DOUBLE metrics and numeric parameters), nulls for empty cells. */
export async function parquetBytes(columns: readonly Column[]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = columns.map((c) => ({
    name: c.name,
    type: c.type,
    data: c.values.map((v) => (v === undefined ? null : c.type === 'INT64' ? BigInt(v as number) : v)),
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData } as Parameters<typeof parquetWriteBuffer>[0]));
}
