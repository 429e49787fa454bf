/**
 * odirect-under-compaction: a database. A buffer pool in anon memory, a
 * stream of O_DIRECT reads and writes into it (transient pins: the block
 * layer holds the pages until the I/O completes), some of them in flight
 * while compaction and CMA run. LaHaise's question is whether O_DIRECT
 * must subscribe to a pin-page subsystem: under DM with coverGup every
 * request registers and unregisters under the global lock, and the pages of
 * an in-flight request become movable (its owner waits for it); everywhere
 * else they block until the I/O ends. Legacy direct-io holds FOLL_GET
 * references (get/put here); 5.x+ FOLL_PIN.
 */
import { LogBuilder, MiB, PAGE, REGION, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';

const DESIGNS = ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15'];

export const odirectUnderCompaction = defineScenario({
  name: 'odirect-under-compaction',
  title: 'A database: O_DIRECT into an anon buffer pool, some requests in flight while compaction and CMA run',
  source: 'seed 004 (LaHaise: "taking a real hard look at how O_DIRECT pins pages"); fs/direct-io.c, mm/compaction.c, mm/cma.c',
  expectation:
    "in-flight requests block compaction and cma_alloc over their pages in every design but DM with coverGup, which pays two global-lock acquisitions per request (and per in-flight pin) to make them movable; the pool keeps its data; try DM with coverGup as --design 'minchan-2013:pinned-migration=owner-handlers(coverGup=true)'",
  designs: DESIGNS,
  params: [
    { name: 'seed', description: 'PRNG seed', default: 1 },
    { name: 'memoryMiB', description: 'RAM in MiB (a multiple of 4)', default: 256 },
    {
      name: 'cmaMiB',
      description: 'CMA area in MiB (a multiple of 2); above half of memory, movable allocations are balanced into it first, so the pool lands there',
      default: 160,
    },
    { name: 'poolMiB', description: 'buffer pool in MiB', default: 64 },
    { name: 'ios', description: 'O_DIRECT requests in all', default: 400 },
    { name: 'ioKiB', description: 'size of one request in KiB (a multiple of 4)', default: 64 },
    { name: 'inflight', description: 'requests held in flight across each compaction / CMA round (the pinned pages)', default: 8 },
    { name: 'rounds', description: 'compaction + cma_alloc rounds spread over the stream', default: 4 },
  ],
  generate(p) {
    const seed = intParam(p, 'seed', 1, 0, 2 ** 31 - 1);
    const memoryMiB = intParam(p, 'memoryMiB', 256, 16, 65536);
    if (memoryMiB % 4 !== 0) throw new Error(`parameter memoryMiB: expected a multiple of 4, got ${memoryMiB}`);
    const cmaMiB = intParam(p, 'cmaMiB', 160, 0, memoryMiB - 8);
    if (cmaMiB % 2 !== 0) throw new Error(`parameter cmaMiB: expected a multiple of 2, got ${cmaMiB}`);
    const poolMiB = intParam(p, 'poolMiB', 64, 1, Math.floor(memoryMiB / 2));
    const ios = intParam(p, 'ios', 400, 1, 10_000_000);
    const ioKiB = intParam(p, 'ioKiB', 64, 4, 4096);
    if (ioKiB % 4 !== 0) throw new Error(`parameter ioKiB: expected a multiple of 4, got ${ioKiB}`);
    const inflight = intParam(p, 'inflight', 8, 0, 4096);
    const rounds = intParam(p, 'rounds', 4, 1, 1000);
    const rnd = prng(seed);
    const b = new LogBuilder('odirect-under-compaction', seed, p, { memory: memoryMiB * MiB, cma: cmaMiB * MiB, swap: 64 * MiB }, { 'thp.enabled': 'never' });
    const POOL = REGION,
      pool = poolMiB * MiB,
      io = ioKiB * 1024;
    const slots = Math.floor(pool / io);
    const at = () => POOL + Math.floor(rnd() * slots) * io;
    b.spawn(1).mmapAnon(1, POOL, pool).write(1, POOL, pool);
    // A scratch process churns memory so compaction has holes to fill and CMA has movable pages to move.
    const SCRATCH = REGION + 64 * 1024 * MiB,
      scratch = Math.floor(memoryMiB / 16) * MiB;
    b.spawn(2).mmapAnon(2, SCRATCH, scratch);
    const every = Math.max(1, Math.floor(ios / rounds));
    for (let i = 0, round = 0; i < ios; i++) {
      b.dio(1, at(), io, 1, rnd() < 0.5);
      if ((i + 1) % every !== 0 || round >= rounds) continue;
      b.write(2, SCRATCH, scratch).madvise(2, SCRATCH, scratch / 2, 'dontneed');
      const held: string[] = [];
      for (let j = 0; j < inflight; j++) {
        const h = `dio${round}.${j}`;
        b.get(1, at(), io, h);
        held.push(h);
      }
      b.raw({ type: 'compact', order: 9 });
      if (cmaMiB > 0) {
        b.raw({ type: 'alloc_contig', pages: (cmaMiB * MiB) / PAGE, cma: true, handle: `cma${round}` });
        b.raw({ type: 'free_contig', handle: `cma${round}` });
      }
      for (const h of held) b.put(h);
      b.madvise(2, SCRATCH, scratch, 'dontneed');
      round++;
    }
    b.expect({ pid: 1, contentIntact: true, rssAnonBytes: pool, label: 'the buffer pool reads back, every page where the database expects it' });
    return b.build();
  },
});
