/**
 * The PageTail / first_page race (linux-3.13 include/linux/mm.h
 * compound_head, mm/page_alloc.c prep_compound_page). Until David
 * Rientjes's "mm: close PageTail race" (668f9abbd433, v3.14, in stable
 * 3.13.10 and 3.10.36), compound_head() returned page->first_page as soon
 * as PageTail(page) was set, and prep_compound_page set PG_tail before it
 * wrote first_page. A pfn walker such as compaction's
 * isolate_migratepages_range → page_count() could then read a NULL or
 * dangling first_page (the NULL dereference that commit fixed).
 * The fix writes first_page, smp_wmb(), then PG_tail; compound_head reads
 * first_page, smp_rmb(), and rechecks PageTail.
 *
 * A third scenario is the residual race Hugh Dickins pointed out and Kirill
 * Shutemov drew in "mm: make compound_head() robust" (v4.4): with both
 * barriers, the page can be freed and made a tail again between the two
 * PageTail tests, and the head read in between is NULL. v4.4 closed it by
 * keeping PageTail and the head pointer in one word (page->compound_head).
 */
import { PAGE_FLAGS, PG_tail, __clearPageFlag, __setPageFlag, set_page_count } from '../kernel/page.js';
import { branchIf, countWord, flagsWord, label, load, path, pointerWord, smp_rmb, smp_wmb, store, type Path, type RaceScenario, type Step } from '../steps.js';

const NULL = 0;
const H = 1;
const OLD = 2;
const POINTERS = { NULL, H, OLD };

const words = (tailFlags: number, firstPage: number) => [
  flagsWord('T.flags', tailFlags, PAGE_FLAGS),
  pointerWord('T.first_page', firstPage, POINTERS),
  countWord('T._count', 0),
  countWord('H._count', 1),
];

const DEREF = 'compound_head() returned a NULL or stale first_page (page_count dereferences it)';

/** page_count(page) after compound_head: atomic_read(&head->_count), which needs head to be a page T is a tail of. */
const pageCount = (heads: readonly number[]): Step[] => [
  load('page_count', 'H._count', 'count', {
    what: 'atomic_read(&head->_count)',
    check: { assertion: DEREF, holds: (r) => heads.includes(r.head!) },
  }),
  branchIf(() => true, 'end'),
  label('self'),
  load('page_count', 'T._count', 'count', { what: 'atomic_read(&page->_count)' }),
  label('end'),
];

/** compound_head before 668f9abbd433: if (PageTail(page)) return page->first_page. */
const compoundHeadUnfixed: Path = path('isolate_migratepages_range', [
  load('compound_head', 'T.flags', 'f', { what: 'PageTail(page)' }),
  branchIf((r) => (r.f! & PG_tail) === 0, 'self'),
  load('compound_head', 'T.first_page', 'head', { what: 'head = page->first_page' }),
  pageCount([H]),
]);

/** compound_head after 668f9abbd433: read first_page, smp_rmb(), recheck PageTail. */
const compoundHeadFixed = (heads: readonly number[]): Path =>
  path('isolate_migratepages_range', [
    load('compound_head', 'T.flags', 'f', { what: 'PageTail(page)' }),
    branchIf((r) => (r.f! & PG_tail) === 0, 'self'),
    load('compound_head', 'T.first_page', 'head', { what: 'head = page->first_page' }),
    smp_rmb('compound_head'),
    load('compound_head', 'T.flags', 'f2', { what: 'PageTail(page) recheck' }),
    branchIf((r) => (r.f2! & PG_tail) === 0, 'self'),
    pageCount(heads),
  ]);

const setTail = (): Step[] => __setPageFlag('prep_compound_page', 'T.flags', PG_tail, 't', '__SetPageTail');

const SOURCE =
  'linux-3.13 include/linux/mm.h compound_head, mm/page_alloc.c prep_compound_page, mm/compaction.c isolate_migratepages_range → page_count; ' +
  '668f9abbd433 "mm: close PageTail race" (David Rientjes, v3.14; stable 3.13.10)';

export const pageTailUnfixed: RaceScenario = {
  name: 'pagetail-first-page-unfixed',
  title: 'compound_head against prep_compound_page before "mm: close PageTail race": PG_tail is set before first_page',
  source: SOURCE,
  words: words(0, NULL),
  cpus: [
    path('prep_compound_page', [
      setTail(),
      set_page_count('prep_compound_page', 'T._count', 0),
      store('prep_compound_page', 'T.first_page', H, { what: 'p->first_page = page' }),
    ]),
    compoundHeadUnfixed,
  ],
  expect: { sc: 'reachable', weak: 'reachable' },
  notes: "The walker sees PG_tail between the two stores and follows the first_page left from the page's last use.",
};

export const pageTailFixed: RaceScenario = {
  name: 'pagetail-first-page-fixed',
  title: "David Rientjes's barriers: first_page, smp_wmb, PG_tail; compound_head reads first_page, smp_rmb, rechecks PageTail",
  source: SOURCE,
  words: words(0, NULL),
  cpus: [
    path('prep_compound_page', [
      set_page_count('prep_compound_page', 'T._count', 0),
      store('prep_compound_page', 'T.first_page', H, { what: 'p->first_page = page' }),
      smp_wmb('prep_compound_page'),
      setTail(),
    ]),
    compoundHeadFixed([H]),
  ],
  expect: { sc: 'unreachable', weak: 'reachable' },
  notes:
    'Clean under sc, and on x86, which never satisfies a load before an older load. Under the weak model (and the LKMM) the first_page load may be satisfied before the first PageTail test: only a control dependency separates them, and the smp_rmb sits after first_page, where it orders the recheck (the split side: PG_tail cleared before first_page is reused), not the first test.',
};

export const pageTailReuse: RaceScenario = {
  name: 'pagetail-first-page-reuse',
  title: 'with both barriers, the page is freed and made a tail again between the two PageTail tests',
  source:
    SOURCE +
    '; Kirill Shutemov, "mm: make compound_head() robust" (v4.4; race pointed out by Hugh Dickins): PageTail true, put_page clears first_page, prep_compound_page sets it and PG_tail again, the recheck passes with head == NULL',
  words: words(PG_tail, OLD),
  cpus: [
    path('put_page', [
      __clearPageFlag('destroy_compound_page', 'T.flags', PG_tail, 'c', '__ClearPageTail'),
      store('put_page', 'T.first_page', NULL, { what: 'tail->first_page = NULL' }),
      set_page_count('prep_compound_page', 'T._count', 0),
      store('prep_compound_page', 'T.first_page', H, { what: 'p->first_page = page (the new head)' }),
      smp_wmb('prep_compound_page'),
      setTail(),
    ]),
    compoundHeadFixed([OLD, H]),
  ],
  expect: { sc: 'reachable', weak: 'reachable' },
  notes: 'An ABA on PG_tail: both tests see a tail, of two different compound pages, and the head read between them belongs to neither.',
};

/** v4.4's encoding: bit 0 of page->compound_head is PageTail, the rest the head pointer. */
const TAIL_OF = (head: number) => head * 2 + 1;

export const pageTailWord: RaceScenario = {
  name: 'pagetail-compound-head-word',
  title: "v4.4's fix: PageTail and the head pointer in one word, read once (page->compound_head)",
  source:
    'v4.4 include/linux/page-flags.h compound_head (READ_ONCE(page->compound_head), bit 0 = tail), set_compound_head / clear_compound_head; ' +
    '"mm: make compound_head() robust" (Kirill Shutemov, v4.4)',
  words: [pointerWord('T.compound_head', TAIL_OF(OLD), { NULL, 'OLD|1': TAIL_OF(OLD), 'H|1': TAIL_OF(H) }), countWord('T._count', 0), countWord('H._count', 1)],
  cpus: [
    path('put_page', [
      store('clear_compound_head', 'T.compound_head', NULL, { what: 'WRITE_ONCE(page->compound_head, 0)' }),
      set_page_count('prep_compound_page', 'T._count', 0),
      store('set_compound_head', 'T.compound_head', TAIL_OF(H), { what: 'WRITE_ONCE(page->compound_head, head + 1)' }),
    ]),
    path('isolate_migratepages_range', [
      load('compound_head', 'T.compound_head', 'v', { what: 'READ_ONCE(page->compound_head)' }),
      branchIf((r) => (r.v! & 1) === 0, 'self'),
      load('page_count', 'H._count', 'count', {
        what: 'atomic_read(&head->_count)',
        check: { assertion: DEREF, holds: (r) => r.v === TAIL_OF(OLD) || r.v === TAIL_OF(H) },
      }),
      branchIf(() => true, 'end'),
      label('self'),
      load('page_count', 'T._count', 'count', { what: 'atomic_read(&page->_count)' }),
      label('end'),
    ]),
  ],
  expect: { sc: 'unreachable', weak: 'unreachable' },
  notes: 'One load answers both questions, so the head it returns is always the one the tail bit was set with.',
};
