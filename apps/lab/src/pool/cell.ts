/**
 * One cell of a replicated comparison (or, later, a sweep): a scenario
 * regenerated from its name, params and seed, with its tunables overridden,
 * replayed under one design into one run directory. Plain data in and out,
 * so the same function runs in this thread or in a pool worker.
 */
import type { LogHeader } from '@pagelab/events';
import type { RunSummary } from '@pagelab/engine';
import type { LabContext } from '../context.js';
import { autoSampleEvery, loadDesigns, sampleEveryOf } from '../designs.js';
import { loadLog, type LoadedLog } from '../log-source.js';
import { invariantOptions, writeRunFiles } from '../run-files.js';
import { parseSets, withSettings } from '../settings-override.js';

export interface CellTask {
  /** scenario name (or log path) */
  readonly log: string;
  /** --param items, the seed among them */
  readonly params: readonly string[];
  readonly set: readonly string[];
  /** the DESIGN string as given */
  readonly design: string;
  readonly sampleEvery?: string | number;
  /** the run directory to fill (exists, empty) */
  readonly outDir: string;
  readonly label: string;
  /** `--check`: the invariant walk at every sample (else the default walk of run-files.ts) */
  readonly check?: boolean;
}

export interface CellResult {
  readonly summary: RunSummary;
  readonly header: LogHeader;
  readonly sha256: string;
  readonly events: number;
  readonly source: string;
}

/** Runs one cell; `log` is the already-loaded log when the caller has it (same thread). */
export async function runCell(ctx: LabContext, task: CellTask, log?: LoadedLog): Promise<CellResult> {
  const [design] = await loadDesigns(ctx, [task.design]);
  const l = log ?? withSettings(await loadLog(ctx, task.log, task.params), parseSets(task.set));
  const sampleEvery = sampleEveryOf(task.sampleEvery, autoSampleEvery(l.events));
  const inv = invariantOptions(task.check ?? false, sampleEvery, l.events);
  const summary = await writeRunFiles(
    ctx,
    l,
    design!,
    {
      sampleEvery,
      checkInvariants: inv.checkInvariants,
      ...(inv.invariantEvery !== undefined ? { invariantEvery: inv.invariantEvery } : {}),
      label: task.label,
    },
    task.outDir,
  );
  return { summary, header: l.header, sha256: l.sha256, events: l.events, source: l.source };
}
