/**
 * sharedness = mm-owner-tracking [C615]: Linux 6.15+ with CONFIG_MM_ID
 * (ML-DH-mmid "mm/rmap: basic MM owner tracking for large folios" and
 * "convert folio_likely_mapped_shared() to folio_maybe_mapped_shared()").
 *
 * A large folio has two owner slots, each an MM id with that MM's mapcount,
 * and a MAYBE_SHARED bit. Every `_large_mapcount` change happens under the
 * `_mm_ids` bit spinlock (folio_add/sub_return_large_mapcount): the lock is
 * one locked op and one acquisition, `_large_mapcount` is then updated with
 * atomic_read/atomic_set and the slots and bit with plain stores, and the
 * unlock is the non-atomic __bit_spin_unlock. So the hot path has as many
 * locked ops as C610's (the lock replaces the `_large_mapcount` atomic) plus
 * one bit-spinlock acquisition per map and unmap. `_nr_pages_mapped` is kept
 * with atomics as in 6.10.
 *
 * The fields are read and stored through kernel-core's named accessors
 * (folio.ts: folioMmId, folioMmIdMapcount, folioMmIdsWord,
 * folioLargeMapcount), which know where each one lives in the tail pages. Counts are logical (0 = a free
 * slot, MM_ID_DUMMY = 0). The answer is folio_maybe_mapped_shared: no false
 * negatives; with three or more MMs at once the bit can stay set after the
 * folio became exclusive (S4).
 */
import * as t from 'io-ts';
import {
  type MM,
  type PolicyCtx,
  type PolicyDescriptor,
  type SharednessPolicy,
  addNrPagesMapped,
  folioLargeMapcount as largeMapcount,
  folioMmId,
  folioMmIdMapcount,
  folioMmIdsWord,
  folioSetLargeMapcount,
  folioSetMmId,
  folioSetMmIdMapcount,
  site,
  subNrPagesMapped,
  subNrPagesMappedEach,
  totalMapcount,
} from '@pagelab/kernel-core';

/** Re-exported for tests and readers of this design's bookkeeping. */
export { ENTIRELY_MAPPED, FOLIO_PAGES_MAPPED, folioNrPagesMapped } from '@pagelab/kernel-core';

/** No MM in the slot. */
export const MM_ID_DUMMY = 0;
/** Bits of the model's `_mm_ids` flags word (the kernel keeps them in the top bits of the two ids). */
export const FOLIO_MM_IDS_LOCK_BITNUM = 0;
export const FOLIO_MM_IDS_SHARED_BITNUM = 1;

const WP_REUSE_LOCK = site('wp_can_reuse_anon_folio.mm_ids_lock');
const ADD_LARGE_MAPCOUNT = site('folio_add_large_mapcount');
const SUB_LARGE_MAPCOUNT = site('folio_sub_large_mapcount');

export const Params = t.type({});
export type Params = t.TypeOf<typeof Params>;

// ---------------------------------------------------------------- readers

export interface MmIdSlot {
  mmId: number;
  mapcount: number;
}
/** The two owner slots of a large folio (read; for tests and reports, not the hot path). */
export function folioMmIdSlots(k: PolicyCtx, head: number): [MmIdSlot, MmIdSlot] {
  const f = k.frames;
  return [
    { mmId: folioMmId(f, head, 0), mapcount: folioMmIdMapcount(f, head, 0) },
    { mmId: folioMmId(f, head, 1), mapcount: folioMmIdMapcount(f, head, 1) },
  ];
}
/** The MAYBE_SHARED bit of a large folio (read). */
export function folioMaybeSharedBit(k: PolicyCtx, head: number): boolean {
  return ((k.frames.mappingWords[folioMmIdsWord(head)]! >>> FOLIO_MM_IDS_SHARED_BITNUM) & 1) === 1;
}
/** folio_mapcount() of a large folio: `_large_mapcount` (logical). */
export function folioLargeMapcount(k: PolicyCtx, head: number): number {
  return largeMapcount(k.frames, head);
}
// ------------------------------------------------- MM-id owner tracking

/**
 * folio_add_return_large_mapcount: `diff` new mappings by `mm`. Under the
 * _mm_ids bit spinlock: _large_mapcount by read/set; the MM's slot grows,
 * or the MM claims a free slot (MAYBE_SHARED if others map the folio too),
 * or, both slots being taken by other MMs, the mappings go untracked.
 */
export function folioAddLargeMapcount(k: PolicyCtx, head: number, diff: number, mm: MM): number {
  const f = k.frames;
  const l = k.ledger;
  // The `_mm_ids` word as the unsigned long the bit operations take (same memory as `mapping`).
  const w = f.mappingWords;
  const ids = folioMmIdsWord(head);
  const id = mm.mmId;
  l.bitSpinLock(w, ids, FOLIO_MM_IDS_LOCK_BITNUM, ADD_LARGE_MAPCOUNT);
  const total = largeMapcount(f, head) + diff;
  folioSetLargeMapcount(k, head, total);
  if (folioMmId(f, head, 0) === id) {
    folioSetMmIdMapcount(k, head, 0, folioMmIdMapcount(f, head, 0) + diff);
  } else if (folioMmId(f, head, 1) === id) {
    folioSetMmIdMapcount(k, head, 1, folioMmIdMapcount(f, head, 1) + diff);
  } else if (folioMmId(f, head, 0) === MM_ID_DUMMY) {
    folioSetMmId(k, head, 0, id);
    folioSetMmIdMapcount(k, head, 0, diff);
    // We might have other mappings already.
    if (total !== diff) l.__setBit(w, ids, FOLIO_MM_IDS_SHARED_BITNUM);
  } else if (folioMmId(f, head, 1) === MM_ID_DUMMY) {
    folioSetMmId(k, head, 1, id);
    folioSetMmIdMapcount(k, head, 1, diff);
    // Slot 0 certainly has mappings as well.
    l.__setBit(w, ids, FOLIO_MM_IDS_SHARED_BITNUM);
  }
  l.__bitSpinUnlock(w, ids, FOLIO_MM_IDS_LOCK_BITNUM);
  return total;
}

/**
 * folio_sub_return_large_mapcount: `diff` mappings of `mm` go. Under the
 * lock: the MM's slot shrinks (and is freed once it would go negative: some
 * mappings may have been added while the MM had no slot); then, unless the
 * MM's slot still holds mappings, MAYBE_SHARED is cleared if one slot owns
 * every remaining mapping.
 */
export function folioSubLargeMapcount(k: PolicyCtx, head: number, diff: number, mm: MM): number {
  const f = k.frames;
  const l = k.ledger;
  const w = f.mappingWords;
  const ids = folioMmIdsWord(head);
  const id = mm.mmId;
  l.bitSpinLock(w, ids, FOLIO_MM_IDS_LOCK_BITNUM, SUB_LARGE_MAPCOUNT);
  const total = largeMapcount(f, head) - diff;
  folioSetLargeMapcount(k, head, total);
  let slotStillMapped = false;
  for (let slot = 0; slot < 2; slot++) {
    if (folioMmId(f, head, slot) !== id) continue;
    const c = folioMmIdMapcount(f, head, slot) - diff;
    slotStillMapped = c > 0;
    folioSetMmIdMapcount(k, head, slot, Math.max(c, 0));
    if (!slotStillMapped) folioSetMmId(k, head, slot, MM_ID_DUMMY);
    break;
  }
  // If one MM slot owns all mappings, the folio is mapped exclusively (or not at all).
  if (!slotStillMapped && (folioMmIdMapcount(f, head, 0) === total || folioMmIdMapcount(f, head, 1) === total)) {
    l.__clearBit(w, ids, FOLIO_MM_IDS_SHARED_BITNUM);
  }
  l.__bitSpinUnlock(w, ids, FOLIO_MM_IDS_LOCK_BITNUM);
  return total;
}

/**
 * folioSubLargeMapcount(k, head, 1, mm), `n` times in a row (a run of
 * single-PTE unmaps by one MM): each call takes the lock, drops one mapping
 * from the total and from the MM's slot (freeing the slot once it would reach
 * zero), and clears MAYBE_SHARED when one slot then owns every remaining
 * mapping. The same steps on locals, the same final stores, and the n lock
 * sections counted as n.
 */
export function folioSubLargeMapcountEach(k: PolicyCtx, head: number, n: number, mm: MM): void {
  const f = k.frames;
  const l = k.ledger;
  const id = mm.mmId;
  let total = largeMapcount(f, head);
  let id0 = folioMmId(f, head, 0),
    id1 = folioMmId(f, head, 1);
  let c0 = folioMmIdMapcount(f, head, 0),
    c1 = folioMmIdMapcount(f, head, 1);
  let clearShared = false;
  for (let i = 0; i < n; i++) {
    total--;
    let slotStillMapped = false;
    if (id0 === id) {
      slotStillMapped = c0 - 1 > 0;
      c0 = Math.max(c0 - 1, 0);
      if (!slotStillMapped) id0 = MM_ID_DUMMY;
    } else if (id1 === id) {
      slotStillMapped = c1 - 1 > 0;
      c1 = Math.max(c1 - 1, 0);
      if (!slotStillMapped) id1 = MM_ID_DUMMY;
    }
    if (!slotStillMapped && (c0 === total || c1 === total)) clearShared = true;
  }
  l.bitSpinLockedEach(n, SUB_LARGE_MAPCOUNT);
  folioSetLargeMapcount(k, head, total);
  folioSetMmId(k, head, 0, id0);
  folioSetMmIdMapcount(k, head, 0, c0);
  folioSetMmId(k, head, 1, id1);
  folioSetMmIdMapcount(k, head, 1, c1);
  if (clearShared) l.__clearBit(f.mappingWords, folioMmIdsWord(head), FOLIO_MM_IDS_SHARED_BITNUM);
}

/**
 * folio_maybe_mapped_shared (ML-DH-mmid patch 14), asked for the folio of
 * `pfn`: exact for small folios; a single mapping is exclusive whatever the
 * bit says; otherwise the MAYBE_SHARED bit. Reads only.
 */
export function folioMaybeMappedShared(k: PolicyCtx, pfn: number): boolean {
  const f = k.frames;
  const head = f.head(pfn);
  if (f.order(head) < 2) return totalMapcount(f, head) > 1;
  if (largeMapcount(f, head) <= 1) return false;
  return folioMaybeSharedBit(k, head);
}

export function createMmOwnerTracking(_params: Params = {}): SharednessPolicy {
  return {
    id: 'mm-owner-tracking',
    addLargeMapping(k: PolicyCtx, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      addNrPagesMapped(k, head, nr, pmd, pfn);
      folioAddLargeMapcount(k, head, pmd ? 1 : nr, mm);
    },
    removeLargeMapping(k: PolicyCtx, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      folioSubLargeMapcount(k, head, pmd ? 1 : nr, mm);
      subNrPagesMapped(k, head, nr, pmd, pfn);
    },
    removeLargeMappingEach(k: PolicyCtx, head: number, mm: MM, n: number, pfn: number): void {
      folioSubLargeMapcountEach(k, head, n, mm);
      subNrPagesMappedEach(k, head, pfn, n);
    },
    mappedShared: folioMaybeMappedShared,
    canReuseLargeAnon: wpCanReuseLargeAnonFolio,
  };
}

/**
 * __wp_can_reuse_large_anon_folio with CONFIG_MM_ID (ML-DH-mmid): a write
 * fault may reuse a page of a large anon folio in place when every reference
 * is a mapping and every mapping is this process's (not MAYBE_SHARED). A
 * folio mapped once is freed up instead. The recheck happens under the
 * _mm_ids bit spinlock.
 */
export function wpCanReuseLargeAnonFolio(k: PolicyCtx, head: number, _mm: MM): boolean {
  const f = k.frames;
  const mapcount = largeMapcount(f, head);
  if (mapcount <= 1 || mapcount !== f.refcount[head]) return false;
  const ids = folioMmIdsWord(head);
  k.ledger.bitSpinLock(f.mappingWords, ids, FOLIO_MM_IDS_LOCK_BITNUM, WP_REUSE_LOCK);
  const exclusive = !folioMaybeSharedBit(k, head) && largeMapcount(f, head) === f.refcount[head];
  k.ledger.__bitSpinUnlock(f.mappingWords, ids, FOLIO_MM_IDS_LOCK_BITNUM);
  return exclusive;
}

export const descriptor: PolicyDescriptor<'sharedness', Params> = {
  id: 'mm-owner-tracking',
  axis: 'sharedness',
  title: 'folio_maybe_mapped_shared: MM-id owner slots + MAYBE_SHARED under the _mm_ids bit spinlock (C615)',
  models: 'Linux 6.15+ with CONFIG_MM_ID (ML-DH-mmid, commit 6af8cb80d3a9)',
  params: Params,
  defaults: {},
  paramDocs: {},
  create: createMmOwnerTracking,
};

export default descriptor;
