/**
 * camera-cma-burst: a phone. A CMA area reserved for the camera, apps that
 * keep the rest of memory busy, zswap compressing what reclaim pushes out
 * (zbud: unmovable pages, never in CMA, falling back into movable
 * pageblocks under pressure; zsmalloc: movable pages that may live in CMA),
 * and, every round, the camera taking a burst-sized contiguous buffer with
 * cma_alloc and releasing it. What each design does with the compressed
 * pages in the way is the pinned-migration axis' answer (kernel facts:
 * mm/cma.c cma_alloc -> alloc_contig_range; zbud_alloc without
 * __GFP_MOVABLE in 3.13's mm/zbud.c; zswap's __GFP_MOVABLE only for a zpool
 * with malloc_support_movable, zsmalloc, in 6.x mm/zswap.c).
 */
import { LogBuilder, MiB, PAGE, REGION, enumParam, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';

const APPS = 3;
const DESIGNS = ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15'];

export const cameraCmaBurst = defineScenario({
  name: 'camera-cma-burst',
  title: 'A phone: apps and zswap under memory pressure, and periodic camera-sized CMA allocations',
  source: 'seed 004 (Kozlowski: zbud pages and CMA on phones); mm/cma.c cma_alloc, mm/zbud.c, mm/zswap.c',
  expectation:
    'zbud pages never enter CMA, so they block a burst only through the memory they take; zsmalloc pages that land in the burst range block it under pins-block and kozlowski-2013 (no movable ops) and move under minchan-2013 (global lock, 2 acquisitions per pool page) and linux-6.15 (movable_ops); every app keeps its data',
  designs: DESIGNS,
  params: [
    { name: 'seed', description: 'PRNG seed', default: 1 },
    { name: 'memoryMiB', description: 'RAM in MiB (a multiple of 4)', default: 2048 },
    { name: 'cmaMiB', description: 'CMA area in MiB (a multiple of 2, below memoryMiB)', default: 256 },
    { name: 'pool', description: 'zswap pool: zbud (unmovable) or zsmalloc (movable)', default: 'zbud' },
    { name: 'zswapPages', description: 'compressed-swap pages the pool holds at its largest (the driver pages in the way)', default: 16384 },
    { name: 'bursts', description: 'camera bursts (one per round of background pressure)', default: 4 },
    { name: 'burstMiB', description: 'size of one camera buffer in MiB (at most cmaMiB)', default: 64 },
  ],
  generate(p) {
    const seed = intParam(p, 'seed', 1, 0, 2 ** 31 - 1);
    const memoryMiB = intParam(p, 'memoryMiB', 2048, 16, 65536);
    if (memoryMiB % 4 !== 0) throw new Error(`parameter memoryMiB: expected a multiple of 4, got ${memoryMiB}`);
    const cmaMiB = intParam(p, 'cmaMiB', 256, 2, memoryMiB - 8);
    if (cmaMiB % 2 !== 0) throw new Error(`parameter cmaMiB: expected a multiple of 2, got ${cmaMiB}`);
    const pool = enumParam(p, 'pool', 'zbud', ['zbud', 'zsmalloc'] as const);
    const zswapPages = intParam(p, 'zswapPages', 16384, 0, 1 << 24);
    const bursts = intParam(p, 'bursts', 4, 1, 1000);
    const burstMiB = intParam(p, 'burstMiB', 64, 1, cmaMiB);
    const rnd = prng(seed);
    const b = new LogBuilder('camera-cma-burst', seed, p, { memory: memoryMiB * MiB, cma: cmaMiB * MiB, swap: memoryMiB * MiB }, { 'thp.enabled': 'never' });
    // The apps' heaps fill all memory outside CMA and half of CMA, less the pool: CMA soon holds most of
    // what is free, so movable allocations (app growth, zsmalloc pages) are balanced into it.
    const nonCmaPages = ((memoryMiB - cmaMiB) * MiB) / PAGE;
    const heapPages = Math.max(16, Math.floor((nonCmaPages + (cmaMiB * MiB) / PAGE / 2 - zswapPages) / APPS));
    const heap = (pid: number) => REGION + (pid - 1) * 4 * heapPages * PAGE;
    for (let pid = 1; pid <= APPS; pid++)
      b.spawn(pid)
        .mmapAnon(pid, heap(pid), 2 * heapPages * PAGE)
        .write(pid, heap(pid), heapPages * PAGE);
    const chunk = Math.max(1, Math.floor(zswapPages / bursts));
    const pools: string[] = [];
    for (let i = 0; i < bursts; i++) {
      // Background pressure: an app grows, reclaim pushes anon pages out, zswap stores them compressed.
      const pid = 1 + Math.floor(rnd() * APPS);
      const grow = Math.floor(heapPages * (0.1 + 0.2 * rnd()));
      b.write(pid, heap(pid) + heapPages * PAGE, grow * PAGE);
      b.reclaim(chunk);
      if (zswapPages > 0) {
        const h = `zswap${i}`;
        b.comment(`zswap stores ${chunk} pages of compressed data in ${pool} pages`);
        b.raw({ type: 'driver_alloc', owner: 'zswap', pages: chunk, handle: h, movable: pool === 'zsmalloc' });
        pools.push(h);
      }
      // An app frees a random slice of its heap (holes in movable pageblocks), then the camera fires.
      const victim = 1 + Math.floor(rnd() * APPS);
      const slice = Math.floor(heapPages * 0.1);
      b.madvise(victim, heap(victim) + Math.floor(rnd() * (heapPages - slice)) * PAGE, slice * PAGE, 'dontneed');
      b.comment('the camera takes its buffer from the CMA area and gives it back');
      b.raw({ type: 'alloc_contig', pages: (burstMiB * MiB) / PAGE, cma: true, handle: `camera${i}` });
      b.raw({ type: 'free_contig', handle: `camera${i}` });
      // zswap writes the oldest pool chunk back once it has two.
      if (pools.length > 2) b.raw({ type: 'driver_free', handle: pools.shift()! });
    }
    for (let pid = 1; pid <= APPS; pid++) b.expect({ pid, contentIntact: true, label: `app ${pid} reads back every page, migrated or swapped` });
    for (const h of pools) b.raw({ type: 'driver_free', handle: h });
    return b.build();
  },
});
