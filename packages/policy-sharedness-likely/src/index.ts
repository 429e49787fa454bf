/**
 * sharedness = likely-mapped-shared [C610]: Linux 6.10-6.14 (T612).
 *
 * Bookkeeping (T612 mm/rmap.c `__folio_add_rmap` / `__folio_remove_rmap`),
 * done here after the common per-page `_mapcount` / `_entire_mapcount`
 * update, for folios of order >= 2:
 *   - `_large_mapcount`: every page-table mapping of the folio, +nr per nr
 *     PTEs, +1 per PMD: one atomic per map and per unmap;
 *   - `_nr_pages_mapped`: pages with a nonzero PTE mapcount, plus
 *     ENTIRELY_MAPPED while PMD-mapped: one atomic when some page went
 *     0 -> 1 (1 -> 0), or on the first (last) PMD.
 *
 * The answer is `folio_likely_mapped_shared(folio)` (docs/kernel/mm-facts.md §5.4 L): a
 * per-folio guess from the total mapcount and the first subpage; it misses
 * partially mapped shared folios whose first page is mapped at most once
 * (the seed-003 false negative, S1) and, for anon folios, never says
 * "shared" when no page is mapped twice.
 */
import * as t from 'io-ts';
import {
  type MM,
  type PolicyCtx,
  type PolicyDescriptor,
  type SharednessPolicy,
  addNrPagesMapped,
  entireMapcount,
  folioAddLargeMapcountAtomic,
  folioAddLargeMapcountAtomicEach,
  folioLargeMapcount as largeMapcount,
  site,
  subNrPagesMapped,
  subNrPagesMappedEach,
  totalMapcount,
} from '@pagelab/kernel-core';

/** Re-exported for tests and readers of this design's bookkeeping. */
export { ENTIRELY_MAPPED, FOLIO_PAGES_MAPPED, folioNrPagesMapped } from '@pagelab/kernel-core';

const ADD_LARGE_MAPCOUNT = site('folio_add_large_mapcount');
const SUB_LARGE_MAPCOUNT = site('folio_sub_large_mapcount');

export const Params = t.type({});
export type Params = t.TypeOf<typeof Params>;

/** folio_mapcount() of a large folio: `_large_mapcount` (logical). */
export function folioLargeMapcount(k: PolicyCtx, head: number): number {
  return largeMapcount(k.frames, head);
}
/**
 * folio_likely_mapped_shared (T612 include/linux/mm.h), asked for the folio
 * of `pfn`: exact for small folios; for large ones a guess from the total
 * mapcount, the entire mapcount and the first subpage.
 */
export function folioLikelyMappedShared(k: PolicyCtx, pfn: number): boolean {
  const f = k.frames;
  const head = f.head(pfn);
  if (f.order(head) < 2) return totalMapcount(f, head) > 1;
  const mapcount = largeMapcount(f, head);
  // A single mapping implies "mapped exclusively".
  if (mapcount <= 1) return false;
  // If any page is mapped more than once we treat it "mapped shared".
  if (entireMapcount(f, head) > 0 || mapcount > f.nrPages(head)) return true;
  // Let's guess based on the first subpage.
  return f.mapcount[head]! > 1;
}

export function createLikelyMappedShared(_params: Params = {}): SharednessPolicy {
  return {
    id: 'likely-mapped-shared',
    addLargeMapping(k: PolicyCtx, head: number, _mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      addNrPagesMapped(k, head, nr, pmd, pfn);
      folioAddLargeMapcountAtomic(k, head, pmd ? 1 : nr, ADD_LARGE_MAPCOUNT);
    },
    removeLargeMapping(k: PolicyCtx, head: number, _mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      folioAddLargeMapcountAtomic(k, head, pmd ? -1 : -nr, SUB_LARGE_MAPCOUNT);
      subNrPagesMapped(k, head, nr, pmd, pfn);
    },
    removeLargeMappingEach(k: PolicyCtx, head: number, _mm: MM, n: number, pfn: number): void {
      // n atomic_sub(1) on _large_mapcount, then _nr_pages_mapped per page gone 1 -> 0.
      folioAddLargeMapcountAtomicEach(k, head, -1, n, SUB_LARGE_MAPCOUNT);
      subNrPagesMappedEach(k, head, pfn, n);
    },
    mappedShared: folioLikelyMappedShared,
  };
}

export const descriptor: PolicyDescriptor<'sharedness', Params> = {
  id: 'likely-mapped-shared',
  axis: 'sharedness',
  title: 'folio_likely_mapped_shared: _large_mapcount + first-subpage guess (C610)',
  models: 'Linux 6.10–6.14 (T612); seed 003',
  params: Params,
  defaults: {},
  paramDocs: {},
  create: createLikelyMappedShared,
};

export default descriptor;
