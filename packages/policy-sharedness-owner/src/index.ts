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
 * Slot layout (folio.ts): _mm_id[0] = page[2].mapping, _mm_id[1] =
 * page[2].index, _mm_id_mapcount[0] = page[3].lruNext, [1] = page[3].lruPrev,
 * the _mm_ids flags word = page[3].mapping. Counts are logical (0 = a free
 * slot, MM_ID_DUMMY = 0). The answer is folio_maybe_mapped_shared: no false
 * negatives; with three or more MMs at once the bit can stay set after the
 * folio became exclusive (S4).
 */
import * as t from 'io-ts';
import {
  type Frames,
  type Kernel,
  type MM,
  type PolicyDescriptor,
  type SharednessPolicy,
  P1,
  P2,
  P3,
  addNrPagesMapped,
  site,
  subNrPagesMapped,
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

/**
 * The `_mm_ids` word as the unsigned long the bit operations take: the
 * frames' Uint32 view of `frames.mapping` (same memory, no copy), so the
 * ledger's bit-spinlock primitives count the lock.
 */
function mmIdsWords(f: Frames): Uint32Array {
  return f.mappingWords;
}

// ---------------------------------------------------------------- readers

export interface MmIdSlot {
  mmId: number;
  mapcount: number;
}
/** The two owner slots of a large folio (read). */
export function folioMmIdSlots(k: Kernel, head: number): [MmIdSlot, MmIdSlot] {
  const f = k.frames;
  return [
    { mmId: f.mapping[head + P2]!, mapcount: f.lruNext[head + P3]! },
    { mmId: f.index[head + P2]!, mapcount: f.lruPrev[head + P3]! },
  ];
}
/** The MAYBE_SHARED bit of a large folio (read). */
export function folioMaybeSharedBit(k: Kernel, head: number): boolean {
  return ((k.frames.mapping[head + P3]! >>> FOLIO_MM_IDS_SHARED_BITNUM) & 1) === 1;
}
/** folio_mapcount() of a large folio: `_large_mapcount` (logical). */
export function folioLargeMapcount(k: Kernel, head: number): number {
  return k.frames.largeMapcount[head + P1]!;
}
// ------------------------------------------------- MM-id owner tracking

/**
 * folio_add_return_large_mapcount: `diff` new mappings by `mm`. Under the
 * _mm_ids bit spinlock: _large_mapcount by read/set; the MM's slot grows,
 * or the MM claims a free slot (MAYBE_SHARED if others map the folio too),
 * or, both slots being taken by other MMs, the mappings go untracked.
 */
export function folioAddLargeMapcount(k: Kernel, head: number, diff: number, mm: MM): number {
  const f = k.frames;
  const l = k.ledger;
  const w = mmIdsWords(f);
  const id = mm.mmId;
  l.bitSpinLock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM, ADD_LARGE_MAPCOUNT);
  const total = f.largeMapcount[head + P1]! + diff;
  l.set(f.largeMapcount, head + P1, total);
  if (f.mapping[head + P2] === id) {
    l.set(f.lruNext, head + P3, f.lruNext[head + P3]! + diff);
  } else if (f.index[head + P2] === id) {
    l.set(f.lruPrev, head + P3, f.lruPrev[head + P3]! + diff);
  } else if (f.mapping[head + P2] === MM_ID_DUMMY) {
    l.set(f.mapping, head + P2, id);
    l.set(f.lruNext, head + P3, diff);
    // We might have other mappings already.
    if (total !== diff) l.__setBit(w, head + P3, FOLIO_MM_IDS_SHARED_BITNUM);
  } else if (f.index[head + P2] === MM_ID_DUMMY) {
    l.set(f.index, head + P2, id);
    l.set(f.lruPrev, head + P3, diff);
    // Slot 0 certainly has mappings as well.
    l.__setBit(w, head + P3, FOLIO_MM_IDS_SHARED_BITNUM);
  }
  l.__bitSpinUnlock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM);
  return total;
}

/**
 * folio_sub_return_large_mapcount: `diff` mappings of `mm` go. Under the
 * lock: the MM's slot shrinks (and is freed once it would go negative: some
 * mappings may have been added while the MM had no slot); then, unless the
 * MM's slot still holds mappings, MAYBE_SHARED is cleared if one slot owns
 * every remaining mapping.
 */
export function folioSubLargeMapcount(k: Kernel, head: number, diff: number, mm: MM): number {
  const f = k.frames;
  const l = k.ledger;
  const w = mmIdsWords(f);
  const id = mm.mmId;
  l.bitSpinLock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM, SUB_LARGE_MAPCOUNT);
  const total = f.largeMapcount[head + P1]! - diff;
  l.set(f.largeMapcount, head + P1, total);
  let slotStillMapped = false;
  if (f.mapping[head + P2] === id) {
    const c = f.lruNext[head + P3]! - diff;
    slotStillMapped = c > 0;
    l.set(f.lruNext, head + P3, Math.max(c, 0));
    if (!slotStillMapped) l.set(f.mapping, head + P2, MM_ID_DUMMY);
  } else if (f.index[head + P2] === id) {
    const c = f.lruPrev[head + P3]! - diff;
    slotStillMapped = c > 0;
    l.set(f.lruPrev, head + P3, Math.max(c, 0));
    if (!slotStillMapped) l.set(f.index, head + P2, MM_ID_DUMMY);
  }
  // If one MM slot owns all mappings, the folio is mapped exclusively (or not at all).
  if (!slotStillMapped && (f.lruNext[head + P3] === total || f.lruPrev[head + P3] === total)) {
    l.__clearBit(w, head + P3, FOLIO_MM_IDS_SHARED_BITNUM);
  }
  l.__bitSpinUnlock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM);
  return total;
}

/**
 * folio_maybe_mapped_shared (ML-DH-mmid patch 14), asked for the folio of
 * `pfn`: exact for small folios; a single mapping is exclusive whatever the
 * bit says; otherwise the MAYBE_SHARED bit. Reads only.
 */
export function folioMaybeMappedShared(k: Kernel, pfn: number): boolean {
  const f = k.frames;
  const head = f.head(pfn);
  if (f.order(head) < 2) return totalMapcount(f, head) > 1;
  if (f.largeMapcount[head + P1]! <= 1) return false;
  return folioMaybeSharedBit(k, head);
}

export function createMmOwnerTracking(_params: Params = {}): SharednessPolicy {
  return {
    id: 'mm-owner-tracking',
    addLargeMapping(k: Kernel, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      addNrPagesMapped(k, head, nr, pmd, pfn);
      folioAddLargeMapcount(k, head, pmd ? 1 : nr, mm);
    },
    removeLargeMapping(k: Kernel, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void {
      folioSubLargeMapcount(k, head, pmd ? 1 : nr, mm);
      subNrPagesMapped(k, head, nr, pmd, pfn);
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
export function wpCanReuseLargeAnonFolio(k: Kernel, head: number, _mm: MM): boolean {
  const f = k.frames;
  const mapcount = f.largeMapcount[head + P1]!;
  if (mapcount <= 1 || mapcount !== f.refcount[head]) return false;
  const w = mmIdsWords(f);
  k.ledger.bitSpinLock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM, WP_REUSE_LOCK);
  const exclusive = !folioMaybeSharedBit(k, head) && f.largeMapcount[head + P1] === f.refcount[head];
  k.ledger.__bitSpinUnlock(w, head + P3, FOLIO_MM_IDS_LOCK_BITNUM);
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
