/**
 * Large-folio fields and their home slots (mm_types.h layout, simplified):
 *   page[1]: _entire_mapcount (lruNext), _pincount (lruPrev),
 *            _large_mapcount (mapping), _nr_pages_mapped (index)
 *   page[2]: _deferred_list (lruNext/lruPrev), _mm_id[0] (mapping), _mm_id[1] (index)
 *   page[3]: _mm_id_mapcount[0] (lruNext), [1] (lruPrev), _mm_ids flags (mapping)
 * Readers use these helpers; writers go through Ledger primitives on
 * `frames.<alias>` at `head + N`, so every shared update is counted.
 */
import type { Frames } from './frames.js';

export const P1 = 1;
export const P2 = 2;
export const P3 = 3;

export function entireMapcount(f: Frames, head: number): number {
  return f.order(head) >= 2 ? f.lruNext[head + P1]! : 0;
}
export function pincount(f: Frames, head: number): number {
  return f.order(head) >= 2 ? f.lruPrev[head + P1]! : 0;
}
/** Precise total mapcount: entire + sum of per-page PTE mapcounts (folio_mapcount / total_mapcount). */
export function totalMapcount(f: Frames, head: number): number {
  const n = f.nrPages(head);
  let m = f.order(head) >= 2 ? f.lruNext[head + P1]! : 0;
  for (let i = 0; i < n; i++) m += f.mapcount[head + i]!;
  return m;
}
/** page_mapcount(): the page's PTE mapcount plus the folio's PMD mappings. */
export function pageMapcount(f: Frames, pfn: number): number {
  const head = f.head(pfn);
  return f.mapcount[pfn]! + entireMapcount(f, head);
}
/** Number of pages of the folio mapped by at least one PTE, or all of them while PMD-mapped. */
export function pagesMapped(f: Frames, head: number): number {
  const n = f.nrPages(head);
  if (entireMapcount(f, head) > 0) return n;
  let m = 0;
  for (let i = 0; i < n; i++) if (f.mapcount[head + i]! > 0) m++;
  return m;
}
/**
 * Whether some but not all pages of the folio are mapped (0 < pagesMapped <
 * nr): stops at the first mapped and the first unmapped page found, because
 * rmap removal asks after every PTE it takes down, and a full count there
 * would make unmapping a 512-page folio quadratic.
 */
export function partiallyMapped(f: Frames, head: number): boolean {
  const n = f.nrPages(head);
  if (entireMapcount(f, head) > 0) return false;
  let mapped = false, unmapped = false;
  for (let i = 0; i < n; i++) {
    if (f.mapcount[head + i]! > 0) mapped = true;
    else unmapped = true;
    if (mapped && unmapped) return true;
  }
  return false;
}
/** Clears a large folio's tail-slot fields when it is created (prep_compound_page). */
export function clearLargeFields(f: Frames, head: number): void {
  for (let o = P1; o <= P3; o++) {
    f.lruNext[head + o] = 0;
    f.lruPrev[head + o] = 0;
    f.mapping[head + o] = 0;
    f.index[head + o] = 0;
  }
  f.lruNext[head + P2] = -1;
  f.lruPrev[head + P2] = -1;
}
