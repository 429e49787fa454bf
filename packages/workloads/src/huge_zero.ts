/**
 * The huge zero page (docs/kernel/mm-facts.md §5.9) as a named workload, so
 * the live-kernel diff holds the model to it: a read of one page of a
 * VM_HUGEPAGE range maps the huge zero page over all 2 MiB (present, not
 * AnonHugePages, not RssAnon, an order-9 folio to kpageflags), and the
 * first write then either allocates a THP (<= 5.7, 6.12+) or splits the
 * zero PMD and faults one small page (5.8-6.11).
 */
import { LogBuilder, MiB, PAGE, REGION, THP } from './builder.js';
import { defineScenario } from './define.js';

export const hugeZeroReadThenWrite = defineScenario({
  name: 'huge-zero-read-then-write',
  title: 'a read maps the huge zero page; the first write allocates a THP or splits it, by era',
  source: 'mm/huge_memory.c do_huge_pmd_anonymous_page, do_huge_pmd_wp_page (docs/kernel/mm-facts.md §5.9)',
  expectation:
    'every era: the read maps all 2 MiB without allocating (AnonHugePages 0, RssAnon 0, folio order 9). The write: a THP (AnonHugePages 2 MiB) under linux-3.13, linux-4.5, linux-6.15, linux-6.18; one small page (RssAnon 4 KiB, the rest still the zero page) under linux-5.8, linux-6.10',
  // Where every check passes; 5.8-6.11 fail only the write's AnonHugePages check.
  designs: ['linux-3.13', 'linux-4.5', 'linux-6.15', 'linux-6.18'],
  generate() {
    const b = new LogBuilder('huge-zero-read-then-write', 0, {}, { memory: 64 * MiB }, { 'thp.enabled': 'madvise', 'thp.use_zero_page': 1 });
    const A = REGION;
    b.spawn(1).mmapAnon(1, A, THP).madvise(1, A, THP, 'hugepage');
    b.read(1, A + 5 * PAGE, PAGE);
    b.expect({ pid: 1, addr: A, len: THP, mapped: true, label: 'the read maps the whole PMD range' });
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: 0, label: 'the huge zero page is not AnonHugePages' });
    b.expect({ pid: 1, addr: A, len: THP, rssAnonBytes: 0, label: 'nothing allocated: RssAnon 0' });
    b.expect({ pid: 1, addr: A + 100 * PAGE, folioOrder: 9, label: 'kpageflags: the huge zero folio is order 9' });
    b.write(1, A + 7 * PAGE, PAGE);
    b.expect({ pid: 1, addr: A, len: THP, anonHugeBytes: THP, label: 'the write allocated a THP (do_huge_zero_wp_pmd, 6.12+)' });
    b.expect({ pid: 1, addr: A, len: THP, mapped: true, label: 'the range stays mapped' });
    b.expect({ pid: 1, addr: A, len: THP, contentIntact: true, label: 'zeroes, and the one page written' });
    b.munmap(1, A, THP);
    return b.build();
  },
});

export const hugeZeroScenarios = [hugeZeroReadThenWrite];
