/**
 * The benchmark's mixed workload: faults, fork, CoW, munmap, pins, direct
 * I/O, khugepaged and reclaim over a fixed layout, so the same log replays
 * on a 1 GiB and a 64 GiB machine (only the header's memory differs).
 */
import { GiB, LogBuilder, MiB, PAGE, REGION, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';

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
  generate(p) {
    const seed = intParam(p, 'seed', 1, 0, 2 ** 31 - 1);
    const total = intParam(p, 'events', 1_000_000, 10, 100_000_000);
    const mem = intParam(p, 'memoryGiB', 16, 1, 1024);
    const rnd = prng(seed);
    const b = new LogBuilder('mixed', seed, p, { memory: mem * GiB, swap: 1 * GiB }, { 'thp.enabled': 'always' });
    const VMAS = 2, VMA = 8 * MiB, PROCS = 4, MAX_CHILDREN = 4;
    const vmaBase = (v: number) => REGION + v * 2 * VMA; // a gap between VMAs keeps them apart
    const procs: number[] = [];
    for (let pid = 1; pid <= PROCS; pid++) {
      b.spawn(pid);
      for (let v = 0; v < VMAS; v++) b.mmapAnon(pid, vmaBase(v), VMA);
      procs.push(pid);
    }
    const children: number[] = [];
    let nextPid = PROCS + 1, nextHandle = 0;
    const pins: string[] = [];
    const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
    const range = (maxPages: number) => {
      const v = Math.floor(rnd() * VMAS);
      const pages = 1 + Math.floor(rnd() * maxPages);
      const first = Math.floor(rnd() * (VMA / PAGE - pages));
      return { addr: vmaBase(v) + first * PAGE, len: pages * PAGE };
    };
    while (b.events.length < total) {
      const r = rnd();
      const pid = pick(procs.concat(children));
      if (r < 0.45) {
        // Most events are page faults: one to four pages.
        const { addr, len } = range(4);
        b.raw({ type: 'touch', pid, addr, len, write: rnd() < 0.7 });
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
        b.raw({ type: 'touch', pid, addr, len, write: true });
      }
    }
    b.events.length = total;
    return b.build();
  },
});
