/**
 * Seed 001 (Yang Shi, "mm: shmem: allow split THP when truncating THP
 * partially", RFC v2 against v5.4, Nov 2019; Kirill Shutemov's review).
 * The patch makes shmem_undo_range (mm/shmem.c) drop the pagevec's
 * references with pagevec_release() and only then take
 * get_page_unless_zero(compound_head(page)) to lock and split the THP.
 * Between the two, a concurrent truncation can remove the THP from the
 * file and free it, and a new shmem allocation can hand the same struct
 * page to another file; the speculative get then succeeds on that file's
 * page, which is locked and split.
 *
 * Kirill: "Pin the page before pagevec_release() and avoid
 * get_page_unless_zero() ... You need to check that the page is still
 * belong to the file after speculative lookup." The fixed path takes its
 * own reference before pagevec_release and, under the page lock, rechecks
 * page->mapping and page->index before splitting.
 */
import {
  PAGE_FLAGS,
  PG_head,
  PG_locked,
  __setPageFlag,
  get_page_unless_zero,
  lock_page,
  page_ref_add,
  page_ref_inc,
  put_page_testzero,
  set_page_count,
  unlessGot,
  unlock_page,
} from '../kernel/page.js';
import { branchIf, countWord, flagsWord, label, load, path, pointerWord, rmw, store, type Check, type RaceScenario, type Step, type Steps } from '../steps.js';

const NULL = 0;
const P = 1;
const FILE_A = 1;
const FILE_B = 2;
const HPAGE_PMD_NR = 512;
const INDEX_A = 0;
const INDEX_B = 3;

const words = [
  pointerWord('A.i_pages[0]', P, { NULL, P }),
  pointerWord('B.i_pages[3]', NULL, { NULL, P }),
  flagsWord('P.flags', PG_head, PAGE_FLAGS),
  // The page cache holds HPAGE_PMD_NR references on a THP (v4.8+ shmem THP).
  countWord('P._refcount', HPAGE_PMD_NR),
  pointerWord('P.mapping', FILE_A, { NULL, A: FILE_A, B: FILE_B }),
  countWord('P.index', INDEX_A),
  pointerWord('buddy.P', 0, { 'in use': 0, free: 1 }),
];

const notOtherFile = (assertion: string): Check => ({ assertion, reads: ['P.mapping'], holds: (_r, m) => m('P.mapping') !== FILE_B });
const LOCKED_OTHER = 'lock_page() locked a page of another file';
const SPLIT_OTHER = "split_huge_page() split another file's THP";

/**
 * put_page: the last reference frees the compound page. free_pages_prepare
 * clears the flags; __free_one_page puts it on the free list under
 * zone->lock (an atomic step here, so the flags store is visible first).
 */
function put_page(fn: string, tag: string): Step[] {
  return [
    put_page_testzero(fn, 'P._refcount', `old_${tag}`),
    branchIf((r) => r[`old_${tag}`] !== 1, `kept_${tag}`),
    store('free_pages_prepare', 'P.flags', 0, { what: 'page->flags &= ~PAGE_FLAGS_CHECK_AT_PREP' }),
    rmw('__free_one_page', 'buddy.P', () => 1, { what: 'list_add to the free list (zone->lock)' }),
    label(`kept_${tag}`),
  ];
}

/** find_get_entries: xas_load, page_cache_get_speculative, xas_reload (drop it if the slot changed). */
function find_get_entries(tag: string, out: string): Steps {
  return [
    load('find_get_entries', 'A.i_pages[0]', 'page', { what: 'xas_load(&xas)' }),
    branchIf((r) => r.page === NULL, out),
    get_page_unless_zero('find_get_entries', 'P._refcount', `spec_${tag}`),
    unlessGot(`spec_${tag}`, out),
    load('find_get_entries', 'A.i_pages[0]', 'again', { what: 'xas_reload(&xas)' }),
    branchIf((r) => r.again === r.page, `found_${tag}`),
    put_page('find_get_entries', `reload_${tag}`),
    branchIf(() => true, out),
    label(`found_${tag}`),
  ];
}

const split = (): Step =>
  rmw('split_huge_page', 'P.flags', (old) => old & ~PG_head, { what: 'split the THP (ClearPageCompound)', check: notOtherFile(SPLIT_OTHER) });

/** Yang Shi's v2: pagevec_release, then get_page_unless_zero(compound_head(page)), lock, split. */
const yangShiV2 = path('shmem_undo_range', [
  find_get_entries('cpu0', 'out'),
  put_page('pagevec_release', 'pvec'),
  load('shmem_undo_range', 'P.flags', 'f', { what: 'PageTransCompound(page)' }),
  branchIf((r) => (r.f! & PG_head) === 0, 'out'),
  get_page_unless_zero('shmem_undo_range', 'P._refcount', 'got'),
  unlessGot('got', 'out'),
  lock_page('shmem_undo_range', 'P.flags', { check: notOtherFile(LOCKED_OTHER) }),
  split(),
  unlock_page('shmem_undo_range', 'P.flags'),
  put_page('shmem_undo_range', 'split'),
  label('out'),
]);

/** Kirill's fix: pin before pagevec_release; under the page lock, recheck mapping and index. */
const kirillFix = path('shmem_undo_range', [
  find_get_entries('cpu0', 'out'),
  page_ref_inc('shmem_undo_range', 'P._refcount'),
  put_page('pagevec_release', 'pvec'),
  load('shmem_undo_range', 'P.flags', 'f', { what: 'PageTransCompound(page)' }),
  branchIf((r) => (r.f! & PG_head) === 0, 'put'),
  lock_page('shmem_undo_range', 'P.flags', { check: notOtherFile(LOCKED_OTHER) }),
  load('shmem_undo_range', 'P.mapping', 'mapping', { what: 'page->mapping == mapping?' }),
  load('shmem_undo_range', 'P.index', 'index', { what: 'page->index == index?' }),
  branchIf((r) => r.mapping !== FILE_A || r.index !== INDEX_A, 'unlock'),
  split(),
  label('unlock'),
  unlock_page('shmem_undo_range', 'P.flags'),
  label('put'),
  put_page('shmem_undo_range', 'pin'),
  label('out'),
]);

/** A concurrent truncation of the whole THP (truncate_inode_page → __delete_from_page_cache). */
const truncate = path('truncate_inode_pages_range', [
  find_get_entries('cpu1', 'out'),
  lock_page('truncate_inode_pages_range', 'P.flags'),
  store('page_cache_delete', 'A.i_pages[0]', NULL, { what: 'xas_store(&xas, NULL)' }),
  store('page_cache_delete', 'P.mapping', NULL, { what: 'page->mapping = NULL' }),
  page_ref_add('page_cache_free_page', 'P._refcount', -HPAGE_PMD_NR),
  unlock_page('truncate_inode_pages_range', 'P.flags'),
  put_page('pagevec_release', 'pvec1'),
  label('out'),
]);

/** shmem_getpage_gfp for file B: a new THP from the allocator (the same struct page once it is free). */
const allocForB = path('shmem_getpage_gfp', [
  // Only once the THP is freed can B's allocation get this struct page; in an
  // interleaving where it is never freed, B simply allocates another one.
  rmw('rmqueue', 'buddy.P', () => 0, { await: (v) => v === 1, mayWaitForever: true, what: 'take the page off the free list (zone->lock)' }),
  set_page_count('prep_new_page', 'P._refcount', 1),
  __setPageFlag('prep_compound_page', 'P.flags', PG_head, 'h', '__SetPageHead'),
  __setPageFlag('shmem_getpage_gfp', 'P.flags', PG_locked, 'l', '__SetPageLocked'),
  page_ref_add('shmem_add_to_page_cache', 'P._refcount', HPAGE_PMD_NR),
  store('shmem_add_to_page_cache', 'P.mapping', FILE_B, { what: 'page->mapping = mapping (file B)' }),
  store('shmem_add_to_page_cache', 'P.index', INDEX_B, { what: 'page->index = index' }),
  store('shmem_add_to_page_cache', 'B.i_pages[3]', P, { what: 'xas_store(&xas, page)' }),
  unlock_page('shmem_getpage_gfp', 'P.flags'),
]);

const SOURCE =
  "v5.4 mm/shmem.c shmem_undo_range with Yang Shi's RFC v2 (pagevec_release, then get_page_unless_zero(compound_head(page)), lock_page, split_huge_page); " +
  'mm/filemap.c find_get_entries, __delete_from_page_cache, page_cache_free_page; mm/truncate.c truncate_inode_pages_range; mm/shmem.c shmem_getpage_gfp, shmem_add_to_page_cache; ' +
  'mm/page_alloc.c prep_new_page, free_pages_prepare';

export const seed001Speculative: RaceScenario = {
  name: 'seed001-speculative-lookup',
  title: "Yang Shi's v2: the pagevec's references are dropped before the speculative get, so the THP can be freed and reused by another file",
  source: SOURCE,
  words,
  cpus: [yangShiV2, truncate, allocForB],
  expect: { sc: 'reachable', weak: 'reachable' },
  notes:
    "Truncation drops the page cache references, pagevec_release drops the last one and frees the page, file B allocates it, and get_page_unless_zero takes B's page.",
};

export const seed001Rechecked: RaceScenario = {
  name: 'seed001-lookup-rechecked',
  title: "Kirill's fix: the reference is taken before pagevec_release, and mapping and index are rechecked under the page lock",
  source: SOURCE,
  words,
  cpus: [kirillFix, truncate, allocForB],
  expect: { sc: 'unreachable', weak: 'unreachable' },
  notes: "The pin keeps the page from being freed, so it cannot become B's; truncation can still take it out of A, which the mapping recheck sees.",
};
