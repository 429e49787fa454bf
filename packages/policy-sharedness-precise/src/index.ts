/**
 * sharedness = precise-mapcount [B58]: khugepaged's per-PTE test of Linux
 * 5.8-6.9, `page_mapcount(page) > 1` on the page this PTE maps (T61
 * mm/khugepaged.c). page_mapcount is the page's own PTE mapcount plus the
 * folio's PMD (entire) mapcount, both kept by the common rmap code, so the
 * policy keeps no bookkeeping of its own: mapping a large folio costs nothing
 * beyond the per-page _mapcount / _entire_mapcount atomics, and the answer is
 * exact per page (docs/kernel/mm-facts.md §5.4 P).
 */
import * as t from 'io-ts';
import { type PolicyCtx, type PolicyDescriptor, type SharednessPolicy, pageMapcount } from '@pagelab/kernel-core';

export const Params = t.type({});
export type Params = t.TypeOf<typeof Params>;

/** page_mapcount(page) > 1: mapped by more than one PTE or PMD anywhere (reads only). */
export function pageMappedShared(k: PolicyCtx, pfn: number): boolean {
  return pageMapcount(k.frames, pfn) > 1;
}

export function createPreciseMapcount(_params: Params = {}): SharednessPolicy {
  return {
    id: 'precise-mapcount',
    // Nothing beyond the common per-page rmap counts: no atomics here.
    addLargeMapping: () => {},
    removeLargeMapping: () => {},
    removeLargeMappingEach: () => {},
    mappedShared: pageMappedShared,
  };
}

export const descriptor: PolicyDescriptor<'sharedness', Params> = {
  id: 'precise-mapcount',
  axis: 'sharedness',
  title: 'precise per-page mapcount: page_mapcount(page) > 1 (B58)',
  models: 'Linux 5.8–6.9 (T61)',
  params: Params,
  defaults: {},
  paramDocs: {},
  create: createPreciseMapcount,
};

export default descriptor;
