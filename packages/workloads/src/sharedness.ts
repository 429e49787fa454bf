/**
 * Workloads of the sharedness axis: seed 003 and docs/kernel/mm-facts.md S1-S4, S20,
 * S21, plus a randomized fork-heavy workload for divergence rates.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, intParam, prng } from './builder.js';
import { defineScenario } from './define.js';

const machine = { memory: 256 * MiB, swap: 64 * MiB };
const R = REGION;

/**
 * P (pid 1) faults a THP F over R and forks C (pid 2); both then drop every
 * page of R outside [lo, hi) with MADV_DONTNEED, so F stays PTE-mapped and
 * partially mapped (queued for deferred split, not split: no reclaim); P
 * finally writes `xSlot`, getting an exclusive writable small page X there.
 */
function halfSharedThp(name: string, p: Record<string, unknown>, lo: number, hi: number, xSlot: number, maxPtesShared: number): LogBuilder {
  const b = new LogBuilder(name, 0, p, machine, { 'thp.enabled': 'always', 'khugepaged.max_ptes_shared': maxPtesShared });
  b.spawn(1).mmapAnon(1, R, THP).write(1, R, THP).fork(1, 2);
  for (const pid of [1, 2]) {
    if (lo > 0) b.madvise(pid, R, lo * PAGE, 'dontneed');
    if (hi < 512) b.madvise(pid, R + hi * PAGE, (512 - hi) * PAGE, 'dontneed');
  }
  b.write(1, R + xSlot * PAGE, PAGE);
  b.expect({ pid: 1, addr: R + lo * PAGE, len: (hi - lo) * PAGE, mapped: true, label: 'the shared part is still mapped in P' });
  b.expect({ pid: 2, addr: R + lo * PAGE, len: (hi - lo) * PAGE, mapped: true, label: 'and in C' });
  return b;
}

function finish(b: LogBuilder): ReturnType<LogBuilder['build']> {
  b.khugepaged(1);
  b.expect({ contentIntact: true, label: 'collapse or not, both processes read their data' });
  return b.build();
}

const maxSharedParam = { name: 'maxPtesShared', description: 'khugepaged.max_ptes_shared (the seed sets it below 256)', default: 255 };

export const s1 = defineScenario({
  name: 's1-false-negative',
  title: "S1: khugepaged collapses a half-shared PTE-mapped THP (the seed's ~1 MiB)",
  source: 'seed 003 (Hildenbrand/Hubbard, Apr 2024); docs/kernel/mm-facts.md S1',
  expectation:
    'likely-mapped-shared (linux-6.10) sees 0 shared PTEs (first subpage unmapped) and collapses, duplicating 256 shared pages (~1 MiB) and zero-filling 255; precise (linux-5.8) and owner tracking (linux-6.15) count 256 and refuse with SCAN_EXCEED_SHARED_PTE',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  params: [maxSharedParam],
  generate(p) {
    return finish(halfSharedThp('s1-false-negative', p, 1, 257, 0, intParam(p, 'maxPtesShared', 255, 0, 511)));
  },
});

export const s2 = defineScenario({
  name: 's2-first-subpage-mapped',
  title: 'S2: as S1, but the shared pages are 0..255 (the first subpage is mapped)',
  source: 'docs/kernel/mm-facts.md S2',
  expectation: 'all three sharedness designs count 256 shared PTEs and refuse; the heuristic depends on which subpages are mapped',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  params: [maxSharedParam],
  generate(p) {
    return finish(halfSharedThp('s2-first-subpage-mapped', p, 0, 256, 256, intParam(p, 'maxPtesShared', 255, 0, 511)));
  },
});

export const s3 = defineScenario({
  name: 's3-after-deferred-split',
  title: 'S3: as S1, but the deferred split already happened (reclaim ran first)',
  source: 'docs/kernel/mm-facts.md S3',
  expectation: 'small folios answer exactly: every design counts 256 shared PTEs and refuses',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  params: [maxSharedParam],
  generate(p) {
    const b = halfSharedThp('s3-after-deferred-split', p, 1, 257, 0, intParam(p, 'maxPtesShared', 255, 0, 511));
    b.reclaim(1);
    return finish(b);
  },
});

export const s4 = defineScenario({
  name: 's4-owner-false-positive',
  title: 'S4: three MMs map a folio; two unmap; owner tracking still says "maybe shared"',
  source: 'docs/kernel/mm-facts.md S4; ML-DH-mmid Example 2',
  expectation:
    "mm-owner-tracking (linux-6.15) counts C's 2 exclusive PTEs as shared (stale MAYBE_SHARED) and refuses with max_ptes_shared < 2; the others collapse",
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  params: [{ name: 'maxPtesShared', description: 'khugepaged.max_ptes_shared', default: 1 }],
  generate(p) {
    const b = new LogBuilder('s4-owner-false-positive', 0, p, machine, {
      'thp.enabled': 'always',
      'khugepaged.max_ptes_shared': intParam(p, 'maxPtesShared', 1, 0, 511),
    });
    b.spawn(1).mmapAnon(1, R, THP).write(1, R, THP).fork(1, 2).fork(1, 3);
    b.madvise(3, R + 2 * PAGE, THP - 2 * PAGE, 'dontneed');
    b.madvise(1, R, THP, 'dontneed').madvise(2, R, THP, 'dontneed');
    b.write(3, R + 2 * PAGE, PAGE);
    b.expect({ pid: 3, addr: R, len: 2 * PAGE, mapped: true, label: 'C still maps pg 0 and pg 1 of F' });
    b.khugepaged(3);
    b.expect({ contentIntact: true });
    return b.build();
  },
});

export const s20 = defineScenario({
  name: 's20-heavily-shared-half',
  title: 'S20: P and C both map pg 1..300 (total mapcount 600 > 512)',
  source: 'docs/kernel/mm-facts.md S20',
  expectation: 'all designs agree: 300 shared > 256, no collapse (the heuristic is exact once mapcount exceeds nr_pages)',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  generate(p) {
    return finish(halfSharedThp('s20-heavily-shared-half', p, 1, 301, 0, 256));
  },
});

export const s21 = defineScenario({
  name: 's21-selftest-max-ptes-shared',
  title: 'S21: the khugepaged selftest collapse_max_ptes_shared',
  source: 'tools/testing/selftests/mm/khugepaged.c (T612); docs/kernel/mm-facts.md S21; seed 003',
  expectation:
    '5.8+: 257 shared PTEs → SCAN_EXCEED_SHARED_PTE; after CoW of page 255, 256 shared → collapse; the parent keeps its huge page. 3.13/4.5: the first CoW copies the whole THP, so the child is huge already',
  designs: ['linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'],
  generate(p) {
    const b = new LogBuilder('s21-selftest-max-ptes-shared', 0, p, machine, { 'thp.enabled': 'always' });
    b.spawn(1).mmapAnon(1, R, THP).write(1, R, THP);
    b.expect({ pid: 1, addr: R, len: THP, anonHugeBytes: THP, label: 'Allocate huge page' });
    b.fork(1, 2);
    b.expect({ pid: 2, addr: R, len: THP, anonHugeBytes: THP, label: 'Share huge page over fork()' });
    b.write(2, R, 255 * PAGE);
    b.khugepaged(2);
    b.write(2, R + 255 * PAGE, PAGE);
    b.khugepaged(2);
    b.expect({ pid: 2, addr: R, len: THP, anonHugeBytes: THP, label: 'Collapse with max_ptes_shared PTEs shared' });
    b.expect({ pid: 1, addr: R, len: THP, anonHugeBytes: THP, label: 'Check if parent still has huge page' });
    b.expect({ contentIntact: true });
    return b.build();
  },
});

export const forkHeavy = defineScenario({
  name: 'fork-heavy-random',
  title: 'Processes fork, write random subsets of shared THPs, exit; khugepaged between phases',
  source: 'seed 003 ("something less contrived"); docs/kernel/mm-facts.md §5.4',
  expectation:
    'how often the folio-level sharedness heuristics diverge from the precise per-page answer, and what the divergence costs in duplicated-shared and collapse-bloat waste',
  designs: ['linux-5.8', 'linux-6.10', 'linux-6.15'],
  params: [
    { name: 'seed', description: 'PRNG seed', default: 1 },
    { name: 'phases', description: 'fork/write/exit phases', default: 20 },
    { name: 'thps', description: 'THPs in the parent', default: 16 },
    { name: 'children', description: 'children forked per phase', default: 2 },
    { name: 'maxPtesShared', description: 'khugepaged.max_ptes_shared', default: 255 },
  ],
  generate(p) {
    const seed = intParam(p, 'seed', 1, 0, 2 ** 31 - 1);
    const phases = intParam(p, 'phases', 20, 1, 10_000);
    const thps = intParam(p, 'thps', 16, 1, 512);
    const children = intParam(p, 'children', 2, 1, 16);
    const rnd = prng(seed);
    const b = new LogBuilder(
      'fork-heavy-random',
      seed,
      p,
      { memory: Math.max(256 * MiB, Math.ceil((thps * 2 * (children * 4 + 2) + 64) / 4) * 4 * MiB), swap: 256 * MiB },
      {
        'thp.enabled': 'always',
        'khugepaged.max_ptes_shared': intParam(p, 'maxPtesShared', 255, 0, 511),
      },
    );
    b.spawn(1)
      .mmapAnon(1, R, thps * THP)
      .write(1, R, thps * THP);
    let nextPid = 2;
    let alive: number[] = [];
    for (let ph = 0; ph < phases; ph++) {
      for (let c = 0; c < children; c++) {
        b.fork(1, nextPid);
        alive.push(nextPid++);
      }
      for (const pid of [1, ...alive]) {
        for (let t = 0; t < thps; t++) {
          const r = rnd();
          const base = R + t * THP;
          const first = Math.floor(rnd() * 512);
          if (r < 0.25) {
            // Write a random run of pages: CoW breaks sharing page by page.
            b.write(pid, base + first * PAGE, (1 + Math.floor(rnd() * Math.min(128, 512 - first))) * PAGE);
          } else if (r < 0.6) {
            // Drop a random run: partially mapped folios appear (balloon-like or MADV_DONTNEED-heavy allocators).
            b.madvise(pid, base + first * PAGE, (1 + Math.floor(rnd() * (512 - first))) * PAGE, 'dontneed');
          }
        }
      }
      b.khugepaged(undefined, 1);
      // Most children exit; survivors share into the next phase.
      alive = alive.filter((pid) => (rnd() < 0.7 ? (b.exit(pid), false) : true));
      if (rnd() < 0.3) b.reclaim(64);
    }
    for (const pid of alive) b.exit(pid);
    b.khugepaged(undefined, 2);
    b.expect({ contentIntact: true });
    return b.build();
  },
});

export const sharednessScenarios = [s1, s2, s3, s4, s20, s21, forkHeavy];
