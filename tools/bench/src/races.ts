/**
 * Race explorer timing (`npm run bench` runs it first; alone:
 * `npm run bench:races -w @pagelab/bench`): every race scenario's full
 * exploration under sc and weak, with the default sleep-set reduction and
 * unreduced. Target: each scenario's exploration (reduced, including the
 * breadth-first search for its shortest counterexamples) under 1 s.
 * Each figure is the best of 5 runs after one unmeasured warm-up; the
 * spread (slowest / best) is printed as the noise.
 */
import { RACE_SCENARIOS, explore, type MemoryModel, type Reduction } from '@pagelab/races';

const RUNS = 5;
const pad = (s: string | number, n: number) => String(s).padStart(n);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));

function time(name: string, memoryModel: MemoryModel, reduction: Reduction) {
  const s = RACE_SCENARIOS.find((x) => x.name === name)!;
  explore(s, { memoryModel, reduction });
  const t: number[] = [];
  let last = explore(s, { memoryModel, reduction });
  for (let i = 0; i < RUNS; i++) {
    last = explore(s, { memoryModel, reduction });
    t.push(last.elapsedMs);
  }
  return { best: Math.min(...t), worst: Math.max(...t), r: last };
}

console.log(`pagelab bench — race explorer, best of ${RUNS} after a warm-up, node ${process.version}\n`);
console.log(
  `${'scenario'.padEnd(32)} ${'model'.padEnd(5)} ${pad('states', 7)} ${pad('ms (sleep sets)', 16)} ${pad('spread', 7)} ${pad('ms (unreduced)', 15)} verdict`,
);
let worst = 0;
for (const s of RACE_SCENARIOS) {
  for (const m of ['sc', 'weak'] as const) {
    const red = time(s.name, m, 'sleep-sets');
    const full = time(s.name, m, 'none');
    worst = Math.max(worst, red.best);
    console.log(
      `${s.name.padEnd(32)} ${m.padEnd(5)} ${pad(red.r.states, 7)} ${pad(ms(red.best), 16)} ${pad(`${(red.worst / red.best).toFixed(2)}x`, 7)} ${pad(ms(full.best), 15)} ${red.r.violations.length ? 'reachable' : 'clean'}`,
    );
  }
}
console.log(`\ntarget: each scenario explored in < 1 s ... ${worst < 1000 ? 'met' : 'NOT met'} (slowest ${ms(worst)} ms)\n`);
