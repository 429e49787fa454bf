/**
 * Large-folio fields and their home slots (mm_types.h layout, simplified):
 *   page[1]: _entire_mapcount (lruNext), _pincount (lruPrev),
 *            _large_mapcount (mapping), _nr_pages_mapped (index)
 *   page[2]: _deferred_list (lruNext/lruPrev), _mm_id[0] (mapping), _mm_id[1] (index)
 *   page[3]: _mm_id_mapcount[0] (lruNext), [1] (lruPrev), _mm_ids flags (mapping)
 * Readers use these helpers; writers go through Ledger primitives on
 * `frames.<alias>` at `head + N`, so every shared update is counted. A
 * policy names a field by its kernel name (folioMmId, folioLargeMapcount,
 * ...), never by tail slot: the accessors below read it from a read-only
 * frame view and the setters store it through the context's ledger.
 */
import type { Frames } from './frames.js';
import type { Site } from './ledger.js';
import type { PolicyCtx, PolicyFrames } from './policy_ctx.js';

export const P1 = 1;
export const P2 = 2;
export const P3 = 3;

/** folio_entire_mapcount: PMD mappings of a large folio (0 for a small one). */
export function entireMapcount(f: PolicyFrames, head: number): number {
  return f.order(head) >= 2 ? f.lruNext[head + P1]! : 0;
}
/** folio_maybe_dma_pinned's `_pincount` of a large folio (0 for a small one). */
export function pincount(f: PolicyFrames, head: number): number {
  return f.order(head) >= 2 ? f.lruPrev[head + P1]! : 0;
}
/** Precise total mapcount: entire + sum of per-page PTE mapcounts (folio_mapcount / total_mapcount). */
export function totalMapcount(f: PolicyFrames, head: number): number {
  const n = f.nrPages(head);
  let m = f.order(head) >= 2 ? f.lruNext[head + P1]! : 0;
  for (let i = 0; i < n; i++) m += f.mapcount[head + i]!;
  return m;
}
/** page_mapcount(): the page's PTE mapcount plus the folio's PMD mappings. */
export function pageMapcount(f: PolicyFrames, pfn: number): number {
  const head = f.head(pfn);
  return f.mapcount[pfn]! + entireMapcount(f, head);
}
/** Number of pages of the folio mapped by at least one PTE, or all of them while PMD-mapped. */
export function pagesMapped(f: PolicyFrames, head: number): number {
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
export function partiallyMapped(f: PolicyFrames, head: number): boolean {
  const n = f.nrPages(head);
  if (entireMapcount(f, head) > 0) return false;
  let mapped = false,
    unmapped = false;
  for (let i = 0; i < n; i++) {
    if (f.mapcount[head + i]! > 0) mapped = true;
    else unmapped = true;
    if (mapped && unmapped) return true;
  }
  return false;
}
/** `_large_mapcount` of a large folio (order >= 2): every page-table mapping, +nr per nr PTEs, +1 per PMD (logical). */
export function folioLargeMapcount(f: PolicyFrames, head: number): number {
  return f.largeMapcount[head + P1]!;
}
/** Stores `_large_mapcount` through the ledger, a plain store (6.15 updates it under the `_mm_ids` bit lock). */
export function folioSetLargeMapcount(k: PolicyCtx, head: number, v: number): void {
  k.ledger.set(k.frames.largeMapcount, head + P1, v);
}
/** atomic_add on `_large_mapcount` (6.10-6.14), counted at `s`. Returns the new value. */
export function folioAddLargeMapcountAtomic(k: PolicyCtx, head: number, delta: number, s: Site): number {
  return k.ledger.atomicAdd(k.frames.largeMapcount, head + P1, delta, s);
}
/** folioAddLargeMapcountAtomic(k, head, delta, s), `times` times in a row: `times` locked ops. */
export function folioAddLargeMapcountAtomicEach(k: PolicyCtx, head: number, delta: number, times: number, s: Site): number {
  return k.ledger.atomicAddEach(k.frames.largeMapcount, head + P1, delta, times, s);
}
/** `_mm_id[slot]` (slot 0 or 1) of a large folio: the MM id owning that slot, 0 = free. */
export function folioMmId(f: PolicyFrames, head: number, slot: number): number {
  return (slot === 0 ? f.mapping : f.index)[head + P2]!;
}
/** Stores `_mm_id[slot]` through the ledger (a plain store under the `_mm_ids` lock). */
export function folioSetMmId(k: PolicyCtx, head: number, slot: number, id: number): void {
  const f = k.frames;
  k.ledger.set(slot === 0 ? f.mapping : f.index, head + P2, id);
}
/** `_mm_id_mapcount[slot]`: the mappings of the MM in that slot (logical). */
export function folioMmIdMapcount(f: PolicyFrames, head: number, slot: number): number {
  return (slot === 0 ? f.lruNext : f.lruPrev)[head + P3]!;
}
/** Stores `_mm_id_mapcount[slot]` through the ledger (a plain store under the `_mm_ids` lock). */
export function folioSetMmIdMapcount(k: PolicyCtx, head: number, slot: number, v: number): void {
  const f = k.frames;
  k.ledger.set(slot === 0 ? f.lruNext : f.lruPrev, head + P3, v);
}
/**
 * Where the `_mm_ids` word (its lock and MAYBE_SHARED bits) of a large folio
 * lives: an index into `frames.mappingWords`, the unsigned view the bit
 * primitives take (`k.ledger.bitSpinLock(f.mappingWords, folioMmIdsWord(head), ...)`).
 */
export function folioMmIdsWord(head: number): number {
  return head + P3;
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
