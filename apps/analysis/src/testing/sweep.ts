/**
 * Writes a sweep directory as `pagelab sweep` does (sweep.json, results.csv,
 * stats.csv; docs/contracts.md): two designs over khugepaged.max_ptes_none
 * 0/64/511, four seeds each. The numbers are synthetic but shaped so the
 * report has both verdicts: linux-6.10 wastes a clear 2 MiB more over the
 * run than linux-3.13 at every setting (a significant paired delta), while
 * their peak waste differs only by per-seed noise ("no significant
 * difference"). stats.csv is computed as the lab computes it: grouped by
 * workload and setting, each design across its seeds.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Summary } from '@pagelab/events';
import { metricsWith } from '../metrics.js';
import { csvField } from '../report/csv.js';
import { metricColumns, policyOf, POLICY_AXES } from '../report/summaryColumns.js';
import { STATS_COLUMNS, replicateStats, statsRowCells } from '../stats/index.js';
import { summaryWith } from './summary.js';

export const SWEEP_DESIGNS = ['linux-3.13', 'linux-6.10'] as const;
export const SWEEP_MAX_PTES_NONE = [0, 64, 511] as const;
export const SWEEP_SEEDS = [1, 2, 3, 4] as const;

const MiB = 1024 * 1024;
/** A deterministic offset in [-1, 1] per seed and stream. */
const noise = (seed: number, stream: number): number => (((seed * 7919 + stream * 104729) % 17) - 8) / 8;

function cellSummary(design: number, maxPtesNone: number, seed: number): Summary {
  const meanWaste = 4 * MiB + maxPtesNone * 8192 + design * 2 * MiB + noise(seed, 1) * 0.1 * MiB;
  const peak = 9 * MiB + maxPtesNone * 4096 + noise(seed, 2 + design) * 1.5 * MiB;
  const coverage = 0.2 + maxPtesNone / 2000 + noise(seed, 5) * 0.01;
  const events = 1000;
  const lockedOps = Math.round(events * (12 + design * 0.5 + noise(seed, 7 + design)));
  return summaryWith({
    design: {
      name: SWEEP_DESIGNS[design]!,
      policies: {
        refcount: { id: design === 0 ? 'tail-refcount' : 'folio-refcount', params: {} },
        sharedness: { id: 'precise-mapcount', params: {} },
      },
    },
    workload: { name: 'mixed', seed, params: {} },
    settings: { 'khugepaged.max_ptes_none': maxPtesNone },
    events,
    metrics: metricsWith({ wasteBytes: Math.round(meanWaste / 2), peakWasteBytes: Math.round(peak), lockedOps, hugeCoverage: coverage / 2 }),
    overRun: { samples: 11, meanWasteBytes: meanWaste, meanHugeCoverage: coverage, peakHugeCoverage: Math.min(1, coverage * 2) },
  });
}

/** Writes the sweep directory; returns its path. */
export function writeFixtureSweep(dir = mkdtempSync(join(tmpdir(), 'pagelab-sweep-'))): string {
  mkdirSync(dir, { recursive: true });
  const cells: Array<{ key: string; design: string; seed: number; maxPtesNone: number; summary: Summary }> = [];
  for (const maxPtesNone of SWEEP_MAX_PTES_NONE)
    for (const seed of SWEEP_SEEDS)
      SWEEP_DESIGNS.forEach((design, d) => cells.push({ key: `c${cells.length}`, design, seed, maxPtesNone, summary: cellSummary(d, maxPtesNone, seed) }));
  const metrics = metricColumns(cells.map((c) => c.summary));
  const idNames = ['cell', 'workload', 'seed', 'design', ...POLICY_AXES.map((a) => `${a.replace(/-/g, '_')}_policy`), 'khugepaged_max_ptes_none', 'log_sha256'];
  const idOf = (c: (typeof cells)[number]): Array<string | number> => [
    c.key,
    'mixed',
    c.seed,
    c.design,
    ...POLICY_AXES.map((a) => policyOf(c.summary, a)),
    c.maxPtesNone,
    c.summary.logSha256,
  ];
  const results = [[...idNames, ...metrics.map((m) => m.name)].join(',')];
  for (const c of cells) results.push([...idOf(c), ...metrics.map((m) => m.get(c.summary))].map(csvField).join(','));

  const stats = [['workload', 'khugepaged_max_ptes_none', ...STATS_COLUMNS].join(',')];
  for (const x of SWEEP_MAX_PTES_NONE) {
    const reps = cells
      .filter((c) => c.maxPtesNone === x)
      .map((c) => ({
        design: c.design,
        seed: c.seed,
        metrics: Object.fromEntries(
          metrics.flatMap((m) => {
            const v = m.get(c.summary);
            return v === undefined ? [] : [[m.name, v] as const];
          }),
        ),
      }));
    for (const r of replicateStats(
      reps,
      SWEEP_DESIGNS,
      metrics.map((m) => m.name),
    ))
      stats.push(['mixed', String(x), ...statsRowCells(r)].join(','));
  }
  const manifest = {
    pagelab: '0.1.0',
    spec: 'max-ptes-none.yaml',
    command: 'pagelab sweep max-ptes-none.yaml --out DIR',
    designs: [...SWEEP_DESIGNS],
    cells: cells.map((c) => ({ key: c.key, design: c.design, seed: c.seed, settings: { 'khugepaged.max_ptes_none': c.maxPtesNone } })),
  };
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(join(dir, 'results.csv'), results.join('\n') + '\n');
  writeFileSync(join(dir, 'stats.csv'), stats.join('\n') + '\n');
  return dir;
}
