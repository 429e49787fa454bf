/**
 * Workloads of the refcount axis: seeds 000 and 002, docs/kernel/mm-facts.md S5-S10, S18.
 * Expectations in the logs assert what every design must agree on (content,
 * RSS); what differs (split failures, waste, locked ops) is what a comparison
 * of the summaries shows.
 */
import { LogBuilder, MiB, PAGE, REGION, THP, enumParam, intParam } from './builder.js';
import { defineScenario } from './define.js';

const machine = { memory: 256 * MiB, swap: 64 * MiB };
const A = REGION;

/** One process with one PMD-mapped THP at A, fully written. */
function withThp(name: string, seed: number, params: Record<string, unknown>): LogBuilder {
  const b = new LogBuilder(name, seed, params, machine, { 'thp.enabled': 'always' });
  b.spawn(1).mmapAnon(1, A, THP).write(1, A, THP);
  b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: THP, label: 'the THP is PMD-mapped' });
  return b;
}

export const dioOnThpTail = defineScenario({
  name: 'seed002-dio-thp-tail',
  title: 'O_DIRECT I/O whose user buffer lies in THP tail pages',
  source: 'seed 002 (Oleg/Andrea, Dec 2013); docs/kernel/mm-facts.md S7',
  expectation:
    'tail refcounting (linux-3.13) pays several times the locked ops per dio of head refcounting (linux-4.5), mostly compound_lock get/put on tails; FOLL_PIN (linux-6.10) pays fewest',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10', 'oleg-2013'],
  params: [
    { name: 'dios', description: 'number of 4 KiB O_DIRECT writes', default: 1000 },
    { name: 'pages', description: 'pages per dio (consecutive tail pages)', default: 1 },
    { name: 'tail', description: 'first tail page index the buffer starts at (1..511)', default: 7 },
  ],
  generate(p) {
    const dios = intParam(p, 'dios', 1000, 1, 10_000_000);
    const tail = intParam(p, 'tail', 7, 1, 511);
    const pages = intParam(p, 'pages', 1, 1, 512 - tail);
    const b = withThp('seed002-dio-thp-tail', 0, p);
    b.dio(1, A + tail * PAGE, pages * PAGE, dios, true);
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: THP, contentIntact: true, label: 'dio left the THP and its data alone' });
    return b.build();
  },
});

export const splitPinnedTail = defineScenario({
  name: 'seed000-split-pinned-tail',
  title: 'A kernel path needs to split a THP while one tail page is pinned',
  source: 'seed 000 (Kirill/Christoph, Jun 2014); docs/kernel/mm-facts.md S5, S6',
  expectation:
    'tail refcounting always splits and frees what is unmapped; head refcounting fails the split (reason pinned) and holds the memory until unpin + reclaim',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10'],
  params: [
    {
      name: 'path',
      description: 'what needs the split: munmap (half the THP), pageout (swap-out), memory_failure (another tail), compact (migration)',
      default: 'munmap',
    },
    { name: 'pinPage', description: 'subpage holding the GUP pin (0 = head)', default: 7 },
  ],
  generate(p) {
    const path = enumParam(p, 'path', 'munmap', ['munmap', 'pageout', 'memory_failure', 'compact'] as const);
    const pin = intParam(p, 'pinPage', 7, 0, 511);
    const b = withThp('seed000-split-pinned-tail', 0, p);
    b.get(1, A + pin * PAGE, PAGE, 'dev');
    if (path === 'munmap') {
      b.munmap(1, A + MiB, MiB);
      b.expect({ pid: 1, addr: A, len: MiB, contentIntact: true, rssAnonBytes: MiB, label: 'the mapped half is intact' });
      b.reclaim(512);
    } else if (path === 'pageout') {
      b.madvise(1, A, THP, 'pageout');
      b.expect({ pid: 1, contentIntact: true, label: 'swapped or not, the data reads back' });
    } else if (path === 'memory_failure') {
      b.raw({ type: 'memory_failure', pid: 1, addr: A + ((pin + 1) % 512) * PAGE });
    } else {
      b.raw({ type: 'compact', order: 9 });
      b.expect({ pid: 1, contentIntact: true, label: 'migration, if any, kept the data' });
    }
    b.put('dev').reclaim(512);
    // A poisoned page's data is gone by design; elsewhere everything must read back.
    if (path !== 'memory_failure') b.expect({ pid: 1, contentIntact: true, label: 'after unpin and reclaim' });
    if (path === 'munmap') b.expect({ wasteBytes: 0, label: 'nothing is wasted once the pin is gone and reclaim ran' });
    return b.build();
  },
});

export const s5 = defineScenario({
  name: 's5-split-pinned-tail',
  title: 'S5: split_huge_page on a THP with one GUP pin on tail page 7 (reclaim needs it)',
  source: 'docs/kernel/mm-facts.md S5',
  expectation: 'A: split succeeds, the pin moves to page 7, 511 pages swap out; B/C: -EBUSY/-EAGAIN, nothing swaps',
  designs: ['linux-3.13', 'oleg-2013', 'linux-4.5', 'linux-6.10'],
  params: [{ name: 'pinPage', description: 'pinned subpage (0 = head)', default: 7 }],
  generate(p) {
    const pin = intParam(p, 'pinPage', 7, 0, 511);
    const b = withThp('s5-split-pinned-tail', 0, p);
    b.get(1, A + pin * PAGE, PAGE, 'driver').madvise(1, A, THP, 'pageout');
    b.expect({ pid: 1, contentIntact: true, label: 'all data still readable' });
    b.put('driver');
    return b.build();
  },
});

export const s6 = defineScenario({
  name: 's6-deferred-split-pinned',
  title: 'S6: half of a pinned THP is unmapped; waste persists while pinned',
  source: 'docs/kernel/mm-facts.md S6',
  expectation: 'A: waste 0 at once (pin on 300: 1 page); B/C: 256 pages held (split-blocked) until unpin, then freed by the shrinker',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10'],
  params: [{ name: 'pinPage', description: 'pinned subpage; 300 lies in the unmapped half', default: 7 }],
  generate(p) {
    const pin = intParam(p, 'pinPage', 7, 0, 511);
    const b = withThp('s6-deferred-split-pinned', 0, p);
    b.get(1, A + pin * PAGE, PAGE, 'driver').munmap(1, A + MiB, MiB);
    b.expect({ pid: 1, rssAnonBytes: MiB, contentIntact: true });
    b.reclaim(1);
    b.put('driver').reclaim(1);
    b.expect({ wasteBytes: 0, label: 'after unpin and one shrinker pass' });
    return b.build();
  },
});

export const s8 = defineScenario({
  name: 's8-mprotect-one-page',
  title: 'S8: mprotect of one 4 KiB page inside a PMD-mapped exclusive THP',
  source: 'docs/kernel/mm-facts.md S8',
  expectation: 'A splits the compound page (~1,544 locked ops); B/C only split the PMD (~515 / ~1,032); no waste anywhere',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10'],
  generate(p) {
    const b = withThp('s8-mprotect-one-page', 0, p);
    b.mprotect(1, A + 100 * PAGE, PAGE, false);
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: 0, rssAnonBytes: THP, contentIntact: true, wasteBytes: 0 });
    return b.build();
  },
});

export const s9 = defineScenario({
  name: 's9-munmap-one-page',
  title: 'S9: munmap of one 4 KiB page of a PMD-mapped exclusive THP',
  source: 'docs/kernel/mm-facts.md S9',
  expectation: 'A frees the page at once; B/C keep it as unmapped-in-thp waste until the deferred-split shrinker runs under reclaim',
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.10'],
  generate(p) {
    const b = withThp('s9-munmap-one-page', 0, p);
    b.munmap(1, A + 100 * PAGE, PAGE);
    b.expect({ pid: 1, rssAnonBytes: THP - PAGE, contentIntact: true });
    b.reclaim(1);
    b.expect({ wasteBytes: 0, label: 'after the shrinker' });
    return b.build();
  },
});

export const s10 = defineScenario({
  name: 's10-fork-cow-one-byte',
  title: 'S10: fork, then the child writes one byte inside the THP',
  source: 'docs/kernel/mm-facts.md S10; ML-KAS-cow (v5.8)',
  expectation: 'A/B45 copy all 2 MiB (+512 pages); 5.8+ split the child PMD and copy 4 KiB (+1 page)',
  designs: ['linux-3.13', 'linux-4.5', 'linux-5.8', 'linux-6.10'],
  generate(p) {
    const b = withThp('s10-fork-cow-one-byte', 0, p);
    b.fork(1, 2).write(2, A + 5 * PAGE, PAGE);
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: THP, contentIntact: true, label: 'the parent keeps its THP' });
    b.expect({ pid: 2, contentIntact: true });
    return b.build();
  },
});

export const s18 = defineScenario({
  name: 's18-split-lock-nesting',
  title: "S18: split_huge_page lock nesting under Oleg's per-tail compound_lock",
  source: 'seed 002; docs/kernel/mm-facts.md A.5, S18',
  expectation: 'oleg-2013 (A′) holds 514 nested locks, past lockdep MAX_LOCK_DEPTH 48 and the 255 preempt_count limit; linux-3.13 peaks at 3',
  designs: ['linux-3.13', 'oleg-2013'],
  params: [{ name: 'splits', description: 'number of THPs to split (one partial munmap each)', default: 1 }],
  generate(p) {
    const n = intParam(p, 'splits', 1, 1, 50);
    const b = new LogBuilder('s18-split-lock-nesting', 0, p, machine, { 'thp.enabled': 'always' });
    b.spawn(1)
      .mmapAnon(1, A, n * THP)
      .write(1, A, n * THP);
    for (let i = 0; i < n; i++) b.munmap(1, A + i * THP, PAGE);
    b.expect({ pid: 1, contentIntact: true });
    return b.build();
  },
});

export const refcountScenarios = [dioOnThpTail, splitPinnedTail, s5, s6, s8, s9, s10, s18];
