/**
 * The cells of a sweep and their cache. A cell is one log (a scenario
 * regenerated from name, params and seed, or a log file) with its settings,
 * under one design. Its key is content-addressed: the log's sha256, the
 * design (preset, policies and params, as summary.json writes it), the
 * settings replayed with and the sampling period. A finished cell is
 * `cells/<key>/` in the sweep directory (moved there whole when it ends), so
 * an interrupted sweep resumes and a widened one runs only its new cells.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stableStringify } from '@pagelab/events';
import { designJson, type Design } from '@pagelab/engine';
import type { LabContext } from '../context.js';
import { autoSampleEvery, loadDesigns } from '../designs.js';
import { loadLog } from '../log-source.js';
import { headerWithSettings, parseSets } from '../settings-override.js';
import { combinations, type SweepSpec } from './spec.js';
import { join } from 'node:path';

type Scalar = string | number | boolean;

export interface Cell {
  readonly key: string;
  readonly workload: string;
  readonly kind: 'scenario' | 'log';
  readonly arg: string;
  /** the scenario's params without the seed (empty for a log) */
  readonly params: Readonly<Record<string, Scalar>>;
  readonly seed: number;
  readonly designText: string;
  readonly design: Design;
  /** the spec's settings for this cell (the overrides) */
  readonly settings: Readonly<Record<string, Scalar>>;
  readonly logSha256: string;
  readonly events: number;
  readonly sampleEvery: number;
  /** --param items (seed included) and --set items that rebuild the cell's log */
  readonly paramList: readonly string[];
  readonly setList: readonly string[];
}

export function cellKey(logSha256: string, design: Design, settings: unknown, sampleEvery: number): string {
  return createHash('sha256')
    .update(stableStringify({ logSha256, design: designJson(design), settings, sampleEvery }))
    .digest('hex')
    .slice(0, 24);
}

export function cellDir(sweepDir: string, key: string): string {
  return join(sweepDir, 'cells', key);
}

export function isCached(sweepDir: string, key: string): boolean {
  return existsSync(join(cellDir(sweepDir, key), 'summary.json'));
}

/**
 * Expands the spec into its cells (workload instances × settings × designs).
 * Each log is built once here to learn its sha256, then dropped.
 */
export async function expandCells(ctx: LabContext, spec: SweepSpec, onLog?: (done: number, total: number) => void): Promise<Cell[]> {
  const designs = await loadDesigns(ctx, spec.designs);
  const settingCombos = combinations(spec.settings);
  const instances = spec.workloads.flatMap((w) =>
    w.kind === 'log'
      ? [{ w, params: {} as Record<string, Scalar>, seed: undefined as number | undefined }]
      : combinations(w.params).flatMap((params) => spec.seeds.map((seed) => ({ w, params, seed }))),
  );
  const cells: Cell[] = [];
  for (const [i, inst] of instances.entries()) {
    const paramList = [...Object.entries(inst.params).map(([k, v]) => `${k}=${String(v)}`), ...(inst.seed !== undefined ? [`seed=${inst.seed}`] : [])];
    const log = await loadLog(ctx, inst.w.arg, paramList);
    onLog?.(i + 1, instances.length);
    for (const settings of settingCombos) {
      const setList = Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`);
      const effective = headerWithSettings(log.header, parseSets(setList)).settings ?? {};
      const sampleEvery = spec.sampleEvery ?? autoSampleEvery(log.events);
      for (const [di, design] of designs.entries()) {
        cells.push({
          key: cellKey(log.sha256, design, effective, sampleEvery),
          workload: inst.w.kind === 'scenario' ? log.header.workload.name : inst.w.id,
          kind: inst.w.kind,
          arg: inst.w.arg,
          params: inst.params,
          seed: inst.seed ?? log.header.workload.seed,
          designText: spec.designs[di]!,
          design,
          settings,
          logSha256: log.sha256,
          events: log.events,
          sampleEvery,
          paramList,
          setList,
        });
      }
    }
  }
  return cells;
}
