/** A replicated comparison directory built from fixture comparisons, one per seed (as `compare --seeds` lays it out). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DESIGNS, writeFixtureRun } from './fixture.js';

export function writeFixtureReplicates(seeds: readonly number[], events = 1500): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-replicates-'));
  const replicates = seeds.map((seed) => {
    const sub = `seed-${seed}`;
    writeFixtureRun({ dir: join(dir, sub), seed, events, sampleEvery: 50 });
    const m = JSON.parse(readFileSync(join(dir, sub, 'compare.json'), 'utf8')) as { logSha256: string };
    return { seed, dir: sub, logSha256: m.logSha256, events };
  });
  const manifest = {
    pagelab: '0.1.0',
    kind: 'replicates',
    workload: { name: 'dio-thp-churn', params: { dioPerFault: 3, processes: 4 } },
    seeds,
    settings: {},
    command: `pagelab compare dio-thp-churn --seeds ${seeds.join(',')}`,
    designs: DEFAULT_DESIGNS.map((d) => ({ name: d.name, dir: d.dir ?? d.name })),
    replicates,
  };
  writeFileSync(join(dir, 'compare.json'), JSON.stringify(manifest, null, 2) + '\n');
  return dir;
}
