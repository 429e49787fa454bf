/**
 * qemu-balloon: virtio-balloon inflation on THP-backed guest RAM, in rounds,
 * with khugepaged running between them (seed 001: Yang Shi's RFC "mm:
 * shmem: allow split THP when truncating THP partially" and Kirill
 * Shutemov's review).
 *
 * QEMU (pid 1, the VMM) maps guest RAM: a memfd on shmem with THP
 * (`thp.shmem_enabled` = huge=always or within_size), or anonymous THP
 * memory for `backing=anon`. The guest faults all of it in (writes it).
 * Some guest pages are pinned, as vhost / vfio pin the pages they DMA to
 * (FOLL_PIN | FOLL_LONGTERM); the guest never gives those to the balloon.
 *
 * Each inflation round, the guest's balloon driver hands `fraction` of its
 * pages to the host, and QEMU discards each one in base-page granularity
 * (ram_block_discard_range: fallocate(PUNCH_HOLE | KEEP_SIZE) on the memfd,
 * MADV_DONTNEED on anonymous RAM; "QEMU actually does hole punch or
 * MADV_DONTNEED in base page size granularity if hugetlbfs is not used").
 * `pattern` is the order: random pages, sequential pages, or whole 2 MiB
 * runs (one discard per run, as free page reporting hands over high-order
 * blocks). With `splitFlag` the punches ask for FALLOC_FL_SPLIT_HPAGE
 * (`punch_hole_split`, the RFC's mode; only design E2 reads it). After each
 * round khugepaged makes `scans` full scans of the guest RAM. Then the
 * balloon deflates: the guest writes `deflate` of the ballooned pages again,
 * and khugepaged scans once more. Finally the guest reads back all its RAM
 * but the pages still in the balloon (content must be intact under every
 * design).
 *
 * The run's `balloon` summary (engine balloon.ts) measures, per round,
 * what was asked for, what reached the buddy allocator, and what khugepaged
 * or the guest re-populated inside ranges the balloon had freed.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, boolParam, enumParam, intParam, numberParam, prng } from './builder.js';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const NR = THP / PAGE;
const GUEST_RAM = 'guest-ram';
const A = REGION;
const VMM = 1;
/** pages_to_scan's default (4096: eight PMD ranges per khugepaged pass). */
const PAGES_PER_PASS = 4096;

/** Fisher-Yates over `xs` with the workload's PRNG. */
function shuffle<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Sorted page numbers as maximal runs of consecutive pages: [first, count]. */
function extents(pages: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of [...pages].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === p) last[1]++;
    else out.push([p, 1]);
  }
  return out;
}

export const qemuBalloon = defineScenario({
  name: 'qemu-balloon',
  title: 'QEMU virtio-balloon inflation on THP guest RAM in rounds, khugepaged between rounds, then deflation',
  source: 'seed 001 (Yang Shi / Kirill Shutemov, Nov 2019); docs/kernel/mm-facts.md §7 E.1-E.5, S14-S16',
  expectation:
    'linux-4.5 (E1): a partial punch zeroes and keeps, so nothing is freed until a whole 2 MiB run is punched (pattern=runs). yangshi-2019 (E2): the same without splitFlag; with it, each punch splits and frees. linux-5.8+/6.10 (split on punch): the punches free their pages, then khugepaged collapses every split range that still holds a page back into a THP, zero-filling the holes: refilledBytes grows round by round and the memory creeps back. split-guard / split-guard-ptes-none: freed == requested in every round (pinned pages aside), nothing refilled until deflation; the cost is the huge-page coverage the split ranges lose. Pinned pages make the split of their THP fail in every splitting design (splitFailures). backing=anon: MADV_DONTNEED frees a THP only once all its pages are gone (4.5+ defer the split)',
  designs: ['linux-4.5', 'yangshi-2019', 'linux-6.10', 'split-guard', 'split-guard-ptes-none'],
  params: [
    { name: 'size', description: 'guest RAM in MiB (a multiple of 2)', default: 64 },
    { name: 'rounds', description: 'inflation rounds', default: 4 },
    { name: 'fraction', description: 'fraction of guest RAM ballooned per round (0..1; at most what is left)', default: 0.1 },
    {
      name: 'pattern',
      description: 'random (seeded 4 KiB pages), sequential (4 KiB pages in address order) or runs (whole 2 MiB runs, one discard each)',
      default: 'random',
    },
    { name: 'pinned', description: 'fraction of guest pages pinned by vhost/vfio (FOLL_LONGTERM), never ballooned', default: 0 },
    { name: 'backing', description: 'shmem (memfd, fallocate punch) or anon (anonymous THP, MADV_DONTNEED)', default: 'shmem' },
    { name: 'huge', description: 'shmem huge= policy of the memfd: always or within_size', default: 'always' },
    { name: 'splitFlag', description: 'inflation punches ask for FALLOC_FL_SPLIT_HPAGE (mode punch_hole_split)', default: false },
    { name: 'scans', description: 'full khugepaged scans of guest RAM after each round and after deflation', default: 1 },
    { name: 'deflate', description: 'fraction of the ballooned pages the guest writes again when the balloon deflates (0..1)', default: 1 },
    { name: 'seed', description: 'PRNG seed (random pages, runs and pinned pages)', default: 1 },
  ],
  generate(p) {
    const size = intParam(p, 'size', 64, 2, 8 * 1024);
    if (size % 2 !== 0) throw new Error(`parameter size: expected a multiple of 2 (MiB), got ${size}`);
    const rounds = intParam(p, 'rounds', 4, 1, 64);
    const fraction = numberParam(p, 'fraction', 0.1, 0, 1);
    const pattern = enumParam(p, 'pattern', 'random', ['random', 'sequential', 'runs'] as const);
    const pinnedFraction = numberParam(p, 'pinned', 0, 0, 0.5);
    const backing = enumParam(p, 'backing', 'shmem', ['shmem', 'anon'] as const);
    const huge = enumParam(p, 'huge', 'always', ['always', 'within_size'] as const);
    const splitFlag = boolParam(p, 'splitFlag', false);
    const scans = intParam(p, 'scans', 1, 0, 16);
    const deflate = numberParam(p, 'deflate', 1, 0, 1);
    const seed = intParam(p, 'seed', 1, 0, 0xffffffff);
    if (splitFlag && backing === 'anon')
      throw new Error(
        'parameter splitFlag: expected false with backing=anon (FALLOC_FL_SPLIT_HPAGE is a fallocate mode; anonymous RAM is discarded by MADV_DONTNEED)',
      );

    const rnd = prng(seed);
    const bytes = size * MiB;
    const pages = bytes / PAGE;
    const ranges = bytes / THP;
    // Guest RAM, plus room for khugepaged's new THPs and the page tables' worth of slack, in 4 MiB units.
    const memory = Math.ceil((bytes + 32 * MiB) / (4 * MiB)) * 4 * MiB;
    const settings: Record<string, string | number> = backing === 'shmem' ? { 'thp.shmem_enabled': huge } : { 'thp.enabled': 'always' };
    const b = new LogBuilder('qemu-balloon', seed, p, { memory, swap: 0 }, settings);
    const passes = Math.max(1, Math.ceil((ranges * NR) / PAGES_PER_PASS));

    b.spawn(VMM);
    b.comment(backing === 'shmem' ? `guest RAM: a ${size} MiB memfd (huge=${huge}) mapped shared by QEMU` : `guest RAM: ${size} MiB of anonymous THP memory`);
    if (backing === 'shmem') b.mmapShmem(VMM, A, bytes, GUEST_RAM);
    else b.mmapAnon(VMM, A, bytes);
    b.comment('the guest faults all of its RAM in');
    b.write(VMM, A, bytes);

    // vhost / vfio pin guest pages they DMA to; the guest never balloons them.
    const pinned = new Set<number>();
    const nPinned = Math.round(pinnedFraction * pages);
    for (const pg of shuffle(
      Array.from({ length: pages }, (_, i) => i),
      rnd,
    ).slice(0, nPinned))
      pinned.add(pg);
    for (const [first, count] of extents([...pinned])) b.pin(VMM, A + first * PAGE, count * PAGE, `vfio-${first}`, { longterm: true });

    const ballooned = new Set<number>();
    const free = () => Array.from({ length: pages }, (_, i) => i).filter((i) => !pinned.has(i) && !ballooned.has(i));
    const order: number[] = pattern === 'random' ? shuffle(free(), rnd) : free();
    let cursor = 0;
    const runOrder = shuffle(
      Array.from({ length: ranges }, (_, i) => i),
      rnd,
    );
    let runCursor = 0;
    const discard = (first: number, count: number) => {
      if (backing === 'anon') b.madvise(VMM, A + first * PAGE, count * PAGE, 'dontneed');
      else b.raw({ type: 'fallocate', file: GUEST_RAM, offset: first * PAGE, len: count * PAGE, mode: splitFlag ? 'punch_hole_split' : 'punch_hole' });
    };
    const inflatedInOrder: number[] = [];

    for (let r = 1; r <= rounds; r++) {
      const want = Math.round(fraction * pages);
      const round: number[] = [];
      if (pattern === 'runs') {
        // Whole 2 MiB runs (their unpinned pages) until the round's share is reached.
        while (round.length < want && runCursor < runOrder.length) {
          const run = runOrder[runCursor++]!;
          for (let i = run * NR; i < (run + 1) * NR; i++) if (!pinned.has(i) && !ballooned.has(i)) round.push(i);
        }
        b.comment(`inflation round ${r}: ${round.length} pages in 2 MiB runs`);
        for (const [first, count] of extents(round)) discard(first, count);
      } else {
        while (round.length < want && cursor < order.length) round.push(order[cursor++]!);
        b.comment(`inflation round ${r}: ${round.length} pages, ${pattern}, one 4 KiB discard each`);
        for (const pg of round) discard(pg, 1);
      }
      for (const pg of round) {
        ballooned.add(pg);
        inflatedInOrder.push(pg);
      }
      if (scans > 0) {
        b.comment(`khugepaged after round ${r}`);
        b.khugepaged(undefined, scans * passes);
      }
    }

    // Deflation: the guest takes pages back from the balloon, in the order it gave them, and writes them.
    const back = inflatedInOrder.slice(0, Math.round(deflate * inflatedInOrder.length));
    b.comment(`deflation: the guest writes ${back.length} of its ${inflatedInOrder.length} ballooned pages again`);
    for (const [first, count] of extents(back)) b.write(VMM, A + first * PAGE, count * PAGE);
    if (scans > 0) b.khugepaged(undefined, scans * passes);
    // The guest reads all its RAM back, except the pages still in the balloon (it never touches those).
    const still = new Set(inflatedInOrder.slice(back.length));
    const kept = Array.from({ length: pages }, (_, i) => i).filter((i) => !still.has(i));
    for (const [first, count] of extents(kept)) b.read(VMM, A + first * PAGE, count * PAGE);
    b.expect({ pid: VMM, contentIntact: true, label: 'the guest reads back what it wrote' });
    return b.build();
  },
});

/** The balloon workloads, in the order `pagelab scenarios` lists them. */
export const balloonScenarios: Scenario[] = [qemuBalloon];
