/**
 * What one THP split costs in the model (`npm run bench:split -w
 * @pagelab/bench`; `npm run bench` runs it too): the shape the
 * deferred-split shrinker meets on the mixed workload. A process write-faults
 * 32 THPs (thp.enabled=always), writes the first 101 pages of each (the rest
 * stay zero-filled), and MADV_DONTNEEDs the last 73, which splits each PMD and
 * queues the partially mapped folio; one `reclaim` event then splits all 32
 * through the shrinker. Per design: CPU microseconds per split, best of the
 * rounds after five warm-up rounds (a round maps, splits and unmaps again),
 * and the spread. 6.12+ remaps the 338 zero-filled pages to the shared zero
 * page and frees them, so 6.15 frees 411 tails per split where 6.10 frees 73.
 * The kernel alone (Kernel + applyEvent), no engine meters.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import { designFrom, discoverRegistry } from '@pagelab/engine';
import { Kernel, type Settings, applyEvent } from '@pagelab/kernel-core';
import type { WorkloadEvent } from '@pagelab/events';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`npm run bench:split -w @pagelab/bench [-- --designs a,b --rounds N]

CPU time of one deferred split (439 of 512 PTEs mapped, 338 pages zero) in the
model, per design, best of N rounds of 32 splits after 5 warm-up rounds.
  --designs a,b   designs (default linux-4.5,linux-5.8,linux-6.10,linux-6.15)
  --rounds N      measured rounds (default 35)`);
  process.exit(0);
}
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const designs = (opt('designs') ?? 'linux-4.5,linux-5.8,linux-6.10,linux-6.15').split(',');
const rounds = Number(opt('rounds') ?? 35);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds: expected an integer >= 1, got '${opt('rounds')}'`);
  process.exit(2);
}

const MiB = 2 ** 20,
  PAGE = 4096,
  BASE = 2 ** 32,
  THPS = 32,
  WARMUP = 5;
const reg = await discoverRegistry();
if (isLeft(reg)) throw new Error(String(reg.left));

console.log(`pagelab bench — one deferred split (439 of 512 PTEs mapped, 338 pages zero), best of ${rounds} rounds of ${THPS}, node ${process.version}\n`);
console.log(`${'design'.padEnd(12)} ${'us/split'.padStart(9)} ${'spread'.padStart(7)} ${'tails freed'.padStart(12)}`);
for (const design of designs) {
  const d = designFrom(design, reg.right);
  if (isLeft(d)) {
    console.error(`${design}: ${String(d.left)}`);
    process.exit(2);
  }
  const k = new Kernel({ memory: 4096 * MiB, nodes: 1, cma: 0, swap: 0 }, d.right.createPolicies(), { ...d.right.params }, {
    'thp.enabled': 'always',
  } as Partial<Settings>);
  let line = 0;
  const ev = (e: WorkloadEvent) => {
    applyEvent(k, e, ++line);
    k.drain();
  };
  ev({ type: 'spawn', pid: 1 });
  const times: number[] = [];
  let freed = 0;
  for (let round = 0; round < WARMUP + rounds; round++) {
    ev({ type: 'mmap', pid: 1, addr: BASE, len: THPS * 2 * MiB, kind: 'anon' });
    for (let t = 0; t < THPS; t++) {
      const a = BASE + t * 2 * MiB;
      ev({ type: 'touch', pid: 1, addr: a, len: 101 * PAGE, write: true });
      ev({ type: 'madvise', pid: 1, addr: a + 439 * PAGE, len: 73 * PAGE, advice: 'dontneed' });
    }
    const before = k.buddy.freeFrames();
    const t0 = process.cpuUsage();
    ev({ type: 'reclaim', pages: 1 });
    const u = process.cpuUsage(t0);
    if (round >= WARMUP) times.push((u.user + u.system) / THPS);
    freed = (k.buddy.freeFrames() - before) / THPS;
    ev({ type: 'munmap', pid: 1, addr: BASE, len: THPS * 2 * MiB });
  }
  const splits = k.outcomes.get('split_page');
  if (splits.ok !== (WARMUP + rounds) * THPS) throw new Error(`${design}: expected ${(WARMUP + rounds) * THPS} splits, got ${JSON.stringify(splits)}`);
  const best = Math.min(...times);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${design.padEnd(12)} ${best.toFixed(1).padStart(9)} ${`${(sorted[Math.floor(sorted.length / 2)]! / best).toFixed(2)}x`.padStart(7)} ${freed.toFixed(0).padStart(12)}`,
  );
}
