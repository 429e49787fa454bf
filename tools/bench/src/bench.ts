/**
 * `npm run bench`: the model's performance targets (docs/ARCHITECTURE.md, Speed), measured
 * (never asserted in a timed unit test):
 *   1. events/s per design replaying the mixed 1M-event workload on a 16 GiB
 *      machine, and the same replay's cost as a multiple of the do-nothing
 *      model's (floor.ts), measured in the same process and the same round:
 *      absolute rates move 2-4x between hosts, the ratio does not;
 *   2. heap bytes per simulated frame on a 64 GiB machine;
 *   3. the same workload on a 1 GiB and a 64 GiB machine: cost per event must
 *      not grow with machine size (within 20 %).
 * Each figure is the best of three replays in CPU time, after one unmeasured warm-up
 * replay per design; the three machine sizes take turns, and the floor runs
 * right before each measured replay over the same events. Options: --events N
 * (default 1000000), --designs a,b,c, --quick (100k events), --scenario NAME,
 * --seed N, --cpu N (the core to run on; default the last one), --no-pin,
 * --floor-only (only the ratios to the floor on the 16 GiB machine, of the
 * kernel alone and of the full replay), --kernel-only (without the replay).
 *
 * The target is "on one core": on Linux the bench re-runs itself under
 * `taskset` so the replay, V8's compiler and its GC threads share one core.
 * Left to the scheduler on a 2-vCPU machine, the same build was measured
 * bimodal (consecutive replays 1.1 s and 2.3 s), pinned within a few percent.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { Replayer, designFrom, discoverRegistry } from '@pagelab/engine';
import { Frames, Kernel, applyEvent, referencePolicies } from '@pagelab/kernel-core';
import { findScenario } from '@pagelab/workloads';
import { FloorModel } from './floor.js';
import { isLeft } from 'fp-ts/lib/Either.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes('--help') || args.includes('-h') || args.includes('--usage')) {
  console.log(`npm run bench [-- options]   (npm run bench -- --usage: this text; nx keeps --help for itself)

Measures the model's performance targets on the mixed workload:
events/s per design on a 16 GiB machine (target >= 1,000,000 on one core),
the replay's cost over the do-nothing model's (decode, switch on type, then
PTE -> pfn -> refcount for each page the event covers), measured in the same
process and round (target <= 8x), bytes per simulated frame (32 -> 64 GiB
slope, target <= 32), and cost per event on a 64 vs a 1 GiB machine (target
within 20 %). Each rate is the best of three replays after one warm-up
replay; the machine sizes take turns.

  --events N      events in the workload (default 1000000)
  --quick         100,000 events (a smoke run; JIT warm-up weighs more)
  --designs a,b   designs to measure (default: every preset, linux-3.13,linux-4.5,linux-5.8,linux-6.10,linux-6.15)
  --scenario S    another generated workload (default mixed; its events and
                  memoryGiB params are set when it has them)
  --seed N        the scenario's seed (a held-out mix: another seed)
  --cpu N         the core to pin to with taskset (default the last one)
  --no-pin        let the scheduler place it
  --floor-only    only the ratios to the floor on the 16 GiB machine, of the
                  kernel alone and of the full replay (every design in one
                  process and round: what a speed change is judged by)
  --kernel-only   --floor-only without the full replay (the kernel alone)

Examples: npm run bench -- --designs linux-6.15 --cpu 0
          npm run bench -- --quick --seed 7`);
  process.exit(0);
}

const PINNED_ENV = 'PAGELAB_BENCH_CPU';
if (process.platform === 'linux' && !args.includes('--no-pin') && process.env[PINNED_ENV] === undefined) {
  const cpu = opt('cpu') ?? String(cpus().length - 1);
  if (!/^\d+$/.test(cpu) || Number(cpu) >= cpus().length) {
    console.error(`--cpu: expected a core number from 0 to ${cpus().length - 1}, got '${cpu}'`);
    process.exit(2);
  }
  const r = spawnSync('taskset', ['-c', cpu, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: cpu },
  });
  // No taskset on this machine (r.error): run unpinned below, and say so.
  if (!r.error) process.exit(r.status ?? 1);
}
const pinnedTo = process.env[PINNED_ENV];
const quick = args.includes('--quick');
const kernelOnly = args.includes('--kernel-only');
const floorOnly = kernelOnly || args.includes('--floor-only');
const events = Number(opt('events') ?? (quick ? 100_000 : 1_000_000));
const designs = (opt('designs') ?? 'linux-3.13,linux-4.5,linux-5.8,linux-6.10,linux-6.15').split(',');
const scenarioName = opt('scenario') ?? 'mixed';
const seed = opt('seed');
const scenario = findScenario(scenarioName);
if (!scenario) {
  console.error(`--scenario: no scenario named '${scenarioName}' (see pagelab scenarios)`);
  process.exit(2);
}
if (!Number.isInteger(events) || events < 10 || (seed !== undefined && !/^\d+$/.test(seed))) {
  console.error(`--events: expected an integer >= 10, --seed a non-negative integer; got ${events}, ${seed}`);
  process.exit(2);
}

const reg = await discoverRegistry();
if (isLeft(reg)) throw new Error(String(reg.left));
const registry = reg.right;

const logs = new Map<number, ReturnType<NonNullable<ReturnType<typeof findScenario>>['generate']>>();
function logFor(memoryGiB: number) {
  let log = logs.get(memoryGiB);
  if (!log) {
    const has = (name: string) => scenario!.params.some((p) => p.name === name);
    const params: Record<string, number> = {};
    if (has('events')) params['events'] = events;
    if (has('memoryGiB')) params['memoryGiB'] = memoryGiB;
    if (seed !== undefined) params['seed'] = Number(seed);
    log = scenario!.generate(params);
    logs.set(memoryGiB, log);
  }
  return log;
}

interface Rate {
  evps: number;
  nsPerEvent: number;
  /** The do-nothing model over the same events, same round (best of the same runs). */
  floorNsPerEvent: number;
  lockedOps: number;
}

/**
 * CPU time of the process (user + system), in ns: pinned to one core, the
 * replay, the compiler and the GC threads all count, and time spent waiting
 * for the core on a host shared with other jobs does not (wall time there
 * moved 1.5-2x between consecutive rounds; CPU time far less).
 */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** One pass of the do-nothing model over a log's events: nanoseconds. */
function floorPass(log: ReturnType<typeof logFor>): number {
  const m = new FloorModel(log.header.machine.memory / 4096);
  const t0 = cpuNs();
  for (const event of log.events) m.apply(event);
  const ns = cpuNs() - t0;
  if (m.checksum === 0.5) console.log('unreachable'); // keeps the walk observable
  return ns;
}

/**
 * Best of `runs` replays per machine size (the least disturbed by GC and the
 * machine): events/s, ns/event, locked ops. The sizes take turns run by run,
 * so a noisy minute on a shared host slows them alike instead of skewing
 * their ratio. With `warmup`, one replay first that is not measured: V8 is
 * still compiling the hot paths during a design's first replay (it ran
 * 1.5-1.7x slower than the next ones here), and the target is the
 * steady-state rate.
 */
function replayRates(design: string, sizesGiB: number[], runs: number, warmup = false): Rate[] {
  const d = designFrom(design, registry);
  if (isLeft(d)) throw new Error(`${design}: ${String(d.left)}`);
  const best = sizesGiB.map(() => Infinity);
  const floor = sizesGiB.map(() => Infinity);
  const lockedOps = sizesGiB.map(() => 0);
  for (let run = warmup ? -1 : 0; run < runs; run++) {
    sizesGiB.forEach((memoryGiB, i) => {
      if (run < 0 && i > 0) return; // one warm-up replay is enough
      const log = logFor(memoryGiB);
      // The floor right before the replay it is compared with: the same minute of a shared host.
      const fl = floorPass(log);
      if (run >= 0) floor[i] = Math.min(floor[i]!, fl);
      const r = new Replayer(log.header, d.right, { sampleEvery: log.events.length, source: `scenario:${scenarioName}` });
      r.start();
      const t0 = cpuNs();
      let line = 1;
      for (const event of log.events) r.apply({ line: ++line, event });
      if (run >= 0) best[i] = Math.min(best[i]!, cpuNs() - t0);
      lockedOps[i] = r.kernel.ledger.lockedOps;
    });
  }
  const n = logFor(sizesGiB[0]!).events.length;
  return best.map((b, i) => ({ evps: (n / b) * 1e9, nsPerEvent: b / n, floorNsPerEvent: floor[i]! / n, lockedOps: lockedOps[i]! }));
}

/**
 * Typed-array bytes a machine of `memoryGiB` holds: every typed array of the
 * kernel's frames, allocator, LRU and swap (deduplicated by buffer, so
 * aliases count once); and, as a cross-check, the process's heap +
 * array-buffer growth while building it (noisier).
 */
function machineBytes(memoryGiB: number): { frames: number; arrays: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const k = new Kernel({ memory: memoryGiB * 2 ** 30, nodes: 1, cma: 0, swap: 0 }, referencePolicies);
  gc?.();
  const after = process.memoryUsage();
  const buffers = new Set<ArrayBufferLike>();
  for (const owner of [k.frames, k.buddy, k.lru, k.swap] as object[]) {
    for (const v of Object.values(owner)) if (ArrayBuffer.isView(v)) buffers.add(v.buffer);
  }
  let arrays = 0;
  for (const b of buffers) arrays += b.byteLength;
  const heap = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  return { frames: k.frames.nr, arrays, heap };
}

/**
 * Bytes per simulated frame: the slope between a 32 and a 64 GiB machine,
 * so that what grows with memory is counted per frame and the allocator's
 * fixed list heads (a few hundred bytes whatever the size) are reported
 * apart, not smeared over the frames.
 */
function bytesPerFrame(): { perFrame: number; fixed: number; total64: number; heapPerFrame: number } {
  // The big one first: its heap growth is then measured with nothing else built.
  const big = machineBytes(64);
  const small = machineBytes(32);
  const perFrame = (big.arrays - small.arrays) / (big.frames - small.frames);
  return { perFrame, fixed: big.arrays - perFrame * big.frames, total64: big.arrays, heapPerFrame: big.heap / big.frames };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const title = `pagelab bench — ${scenarioName} workload${seed !== undefined ? ` (seed ${seed})` : ''}, ${logFor(16).events.length.toLocaleString('en')} events, node ${process.version}, ${pinnedTo !== undefined ? `pinned to CPU ${pinnedTo}` : 'not pinned (no taskset, or --no-pin)'}\n`;

/**
 * The kernel alone over a log (Kernel + applyEvent, its observations
 * drained and dropped), CPU ns: what the model costs without the engine's
 * meters, so that the replay's figure splits into model and engine.
 */
function kernelPass(log: ReturnType<typeof logFor>, design: ReturnType<typeof designFrom>): number {
  if (isLeft(design)) throw new Error(String(design.left));
  const d = design.right;
  const k = new Kernel(log.header.machine, d.createPolicies(), { ...d.params }, log.header.settings as ConstructorParameters<typeof Kernel>[3]);
  const t0 = cpuNs();
  let line = 1;
  for (const event of log.events) {
    applyEvent(k, event, ++line);
    k.drain();
  }
  return cpuNs() - t0;
}

if (floorOnly) {
  // Every design in one process and round: the floor, the kernel alone and the full replay, best of three after a warm-up.
  console.log(title);
  console.log(
    `${'design'.padEnd(12)} ${pad('floor ns', 9)} ${pad('kernel ns', 10)} ${pad('x floor', 8)} ${pad('replay ns', 10)} ${pad('x floor', 8)} ${pad('locked ops/event', 17)}`,
  );
  const log = logFor(16);
  const n = log.events.length;
  let worst = 0;
  // The floor's own JIT warm-up, before any design: its first passes ran 2x slower than later ones.
  for (let i = 0; i < 3; i++) floorPass(log);
  for (const design of designs) {
    const d = designFrom(design, registry);
    let floor = Infinity,
      kernel = Infinity;
    for (let run = -1; run < 3; run++) {
      const fl = floorPass(log);
      const kn = kernelPass(log, d);
      if (run < 0) continue; // the warm-up pass
      floor = Math.min(floor, fl);
      kernel = Math.min(kernel, kn);
    }
    const r16 = kernelOnly ? undefined : (replayRates(design, [16], 3, true)[0] as Rate);
    if (r16) floor = Math.min(floor, r16.floorNsPerEvent * n);
    const over = (r16 ? r16.nsPerEvent * n : kernel) / floor;
    worst = Math.max(worst, over);
    const ops = r16
      ? `${pad(r16.nsPerEvent.toFixed(0), 10)} ${pad(over.toFixed(1), 8)} ${pad((r16.lockedOps / n).toFixed(1), 17)}`
      : `${pad('-', 10)} ${pad('-', 8)}`;
    console.log(`${design.padEnd(12)} ${pad((floor / n).toFixed(0), 9)} ${pad((kernel / n).toFixed(0), 10)} ${pad((kernel / floor).toFixed(1), 8)} ${ops}`);
  }
  console.log(
    `\n  <= 8x the do-nothing model (${kernelOnly ? 'kernel alone' : 'full replay'}) ${worst <= 8 ? 'met' : 'NOT met'} (worst design ${worst.toFixed(1)}x)`,
  );
  process.exit(0);
}

// Measured first, before any replay has allocated: the frames' typed arrays dominate.
const perFrame = bytesPerFrame();
const bpf = perFrame.perFrame;
console.log(title);
console.log(
  `${'design'.padEnd(12)} ${pad('events/s (16 GiB)', 18)} ${pad('ns/event', 9)} ${pad('floor ns', 9)} ${pad('x floor', 8)} ${pad('ns/event 1 GiB', 15)} ${pad('ns/event 64 GiB', 16)} ${pad('64/1 GiB', 9)} ${pad('locked ops/event', 17)}`,
);
let worstRatio = 0,
  worstRate = Infinity,
  worstFloor = 0;
for (const design of designs) {
  // The design's first replay warms the JIT up; the 1 and 64 GiB ones that follow need none.
  const [r16, r1, r64] = replayRates(design, [16, 1, 64], 3, true) as [Rate, Rate, Rate];
  const ratio = r64.nsPerEvent / r1.nsPerEvent;
  worstRatio = Math.max(worstRatio, ratio);
  worstRate = Math.min(worstRate, r16.evps);
  const overFloor = r16.nsPerEvent / r16.floorNsPerEvent;
  worstFloor = Math.max(worstFloor, overFloor);
  console.log(
    `${design.padEnd(12)} ${pad(Math.round(r16.evps).toLocaleString('en'), 18)} ${pad(r16.nsPerEvent.toFixed(0), 9)} ${pad(r16.floorNsPerEvent.toFixed(0), 9)} ${pad(overFloor.toFixed(1), 8)} ${pad(r1.nsPerEvent.toFixed(0), 15)} ${pad(r64.nsPerEvent.toFixed(0), 16)} ${pad(ratio.toFixed(2), 9)} ${pad((r16.lockedOps / logFor(16).events.length).toFixed(1), 17)}`,
  );
}
console.log(
  `\nbytes per simulated frame (32 -> 64 GiB machine): ${bpf.toFixed(4)} in typed arrays (struct-page arrays ${Frames.BYTES_PER_FRAME}; pageblock bits live in their spare flag bits) + ${perFrame.fixed.toFixed(0)} bytes fixed (free-list and LRU heads); 64 GiB in all: ${(perFrame.total64 / 2 ** 30).toFixed(4)} GiB; heap growth measured ${perFrame.heapPerFrame.toFixed(2)}/frame`,
);
console.log('\ntargets:');
console.log(
  `  <= 8x the do-nothing model ............... ${worstFloor <= 8 ? 'met' : 'NOT met'} (worst design ${worstFloor.toFixed(1)}x, same process and round)`,
);
console.log(
  `  >= 1,000,000 events/s on one core ........ ${worstRate >= 1e6 ? 'met' : 'NOT met'} (slowest design ${Math.round(worstRate).toLocaleString('en')}/s; absolute, so host-dependent)`,
);
console.log(
  `  <= 32 bytes per frame on 64 GiB .......... ${bpf <= 32 ? 'met' : 'NOT met'} (${bpf.toFixed(4)} per frame + ${perFrame.fixed.toFixed(0)} bytes fixed; 64 GiB needs ${(perFrame.total64 / 2 ** 30).toFixed(4)} GiB)`,
);
console.log(`  cost/event 64 GiB vs 1 GiB within 20 % ... ${worstRatio <= 1.2 ? 'met' : 'NOT met'} (worst ${worstRatio.toFixed(2)}x)`);
