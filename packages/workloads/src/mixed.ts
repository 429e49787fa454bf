/**
 * The benchmark's mixed workload: faults, fork, CoW, munmap, pins, direct
 * I/O, khugepaged and reclaim over a fixed layout, so the same log replays
 * on a 1 GiB and a 64 GiB machine (only the header's memory differs).
 * Generated lazily (a stream): a 30M-event log is never held in memory, and
 * each iteration replays the PRNG from the seed to the same events.
 */
import type { WorkloadEvent } from '@pagelab/events';
import { GiB, LogBuilder, MiB, PAGE, REGION, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';

type Params = Readonly<Record<string, number | string | boolean>>;

export const mixed = defineScenario({
  name: 'mixed',
  title: 'Mixed workload for throughput benchmarks (faults, fork, CoW, munmap, pins, dio, khugepaged, reclaim)',
  source: 'issue "kernel-core": performance section',
  expectation: 'events per second and cost per event independent of machine size',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10', 'linux-6.15'],
  params: [
    { name: 'seed', description: 'PRNG seed', default: 1 },
    { name: 'events', description: 'number of events', default: 1_000_000 },
    { name: 'memoryGiB', description: 'machine memory in GiB (the workload itself needs < 1 GiB)', default: 16 },
  ],
  stream(p) {
    const seed = intParam(p, 'seed', 1, 0, 2 ** 31 - 1);
    const total = intParam(p, 'events', 1_000_000, 10, 100_000_000);
    const mem = intParam(p, 'memoryGiB', 16, 1, 1024);
    return { header: builder(p, seed, mem).header(), events: { [Symbol.iterator]: () => mixedEvents(p, seed, total, mem) } };
  },
});

function builder(p: Params, seed: number, mem: number): LogBuilder {
  return new LogBuilder('mixed', seed, p, { memory: mem * GiB, swap: 1 * GiB }, { 'thp.enabled': 'always' });
}

/** The events, `total` of them; the builder's list only ever holds one step's (one or two events). */
function* mixedEvents(p: Params, seed: number, total: number, mem: number): Generator<WorkloadEvent, void, undefined> {
  const rnd = prng(seed);
  const b = builder(p, seed, mem);
  let emitted = 0;
  const VMAS = 2,
    VMA = 8 * MiB,
    PROCS = 4,
    MAX_CHILDREN = 4;
  const vmaBase = (v: number) => REGION + v * 2 * VMA; // a gap between VMAs keeps them apart
  const procs: number[] = [];
  for (let pid = 1; pid <= PROCS; pid++) {
    b.spawn(pid);
    for (let v = 0; v < VMAS; v++) b.mmapAnon(pid, vmaBase(v), VMA);
    procs.push(pid);
  }
  const children: number[] = [];
  let nextPid = PROCS + 1,
    nextHandle = 0;
  const pins: string[] = [];
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  // pick(procs.concat(children)) without building the array each step: the same draw, the same pid.
  const pickPid = () => {
    const i = Math.floor(rnd() * (procs.length + children.length));
    return i < procs.length ? procs[i]! : children[i - procs.length]!;
  };
  const range = (maxPages: number) => {
    const v = Math.floor(rnd() * VMAS);
    const pages = 1 + Math.floor(rnd() * maxPages);
    const first = Math.floor(rnd() * (VMA / PAGE - pages));
    return { addr: vmaBase(v) + first * PAGE, len: pages * PAGE };
  };
  while (emitted + b.events.length < total) {
    // Hand out what the last step built (the spawns and mmaps first), never more than `total`.
    for (let i = 0; i < b.events.length && emitted < total; i++, emitted++) yield b.events[i]!;
    b.events.length = 0;
    const r = rnd();
    const pid = pickPid();
    if (r < 0.45) {
      // Most events are page faults: one to four pages.
      const { addr, len } = range(4);
      b.raw({ type: 'touch', addr, len, pid, write: rnd() < 0.7 });
    } else if (r < 0.55) {
      const { addr } = range(1);
      b.dio(pid, addr, PAGE, 1, rnd() < 0.5);
    } else if (r < 0.62) {
      if (pins.length >= 16 || (pins.length > 0 && rnd() < 0.5)) b.unpin(pins.shift()!);
      else {
        const { addr, len } = range(4);
        const h = `p${nextHandle++}`;
        b.pin(pid, addr, len, h);
        pins.push(h);
      }
    } else if (r < 0.7) {
      // MADV_DONTNEED of up to 256 KiB (an allocator returning a free run).
      const { addr, len } = range(64);
      b.madvise(pid, addr, len, 'dontneed');
    } else if (r < 0.74) {
      // munmap + mmap of up to 512 KiB (an allocator's arena chunk).
      const { addr, len } = range(128);
      b.munmap(pid, addr, len).mmapAnon(pid, addr, len);
    } else if (r < 0.76) {
      const { addr, len } = range(64);
      b.mprotect(pid, addr, len, false).mprotect(pid, addr, len, true);
    } else if (r < 0.7615) {
      // fork / exit are rare next to faults (and each copies or tears down ~64 MiB of page tables).
      if (children.length < MAX_CHILDREN) {
        b.fork(pick(procs), nextPid);
        children.push(nextPid++);
      } else b.exit(children.splice(Math.floor(rnd() * children.length), 1)[0]!);
    } else if (r < 0.7625) {
      b.khugepaged(undefined, 1);
    } else if (r < 0.765) {
      // kswapd-sized pressure: SWAP_CLUSTER_MAX pages at a time.
      b.reclaim(32);
    } else {
      const { addr, len } = range(4);
      b.raw({ type: 'touch', addr, len, pid, write: true });
    }
  }
  for (let i = 0; i < b.events.length && emitted < total; i++, emitted++) yield b.events[i]!;
}
