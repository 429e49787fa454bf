/**
 * Pageblock flags (include/linux/pageblock-flags.h, mm/page_alloc.c
 * get_pfnblock_migratetype / set_pageblock_migratetype): one migratetype per
 * pageblock_order (9) block of frames.
 *
 * The kernel keeps these NR_PAGEBLOCK_BITS in the memory section's usemap,
 * beside struct page. The model has no sections; it keeps them in a spare
 * bit (30) of the flags word of the pageblock's first three frames (like
 * the node/zone/section bits the kernel keeps at the top of page->flags, no
 * page-flag operation touches it), so the allocator's metadata costs no
 * bytes beyond the 32 per frame:
 *   - frames 0 and 1: the migratetype's two bits (unmovable, movable,
 *     reclaimable, CMA);
 *   - frame 2: PB_migrate_isolate. As since 6.16, isolation is a bit of its
 *     own, so the block's migratetype survives isolation and undoing it
 *     restores that type.
 * Bit 31 stays clear, so a flags word always fits a signed 32-bit integer
 * (V8 keeps it a small integer on the hot paths). Frames per node are a
 * multiple of 1024, so every pageblock has these frames.
 * Migratetype numbering lives in buddy.ts (MIGRATE_ISOLATE = PB_ISOLATE).
 */
import { PAGEBLOCK_NR, PAGEBLOCK_ORDER } from './frames.js';

/** The frames' flags words, which carry the pageblock bits. */
export type Pageblocks = Uint32Array;

/** Bits of every frame's flags word that belong to the pageblock, not the page: whole-word page-flag stores keep them. */
export const PAGEBLOCK_FLAG_BITS = 1 << 30;
const PB_BIT = 30;
/** The value get_pfnblock_migratetype() reports for an isolated pageblock. */
export const PB_ISOLATE = 4;

/** Sets every pageblock of `nrFrames` frames to `mt` (the flags words are otherwise untouched). */
export function initPageblocks(flags: Uint32Array, nrFrames: number, mt: number): Pageblocks {
  for (let pb = 0; pb < nrFrames; pb += PAGEBLOCK_NR) setPageblockMigratetypeFlag(flags, pb, mt);
  return flags;
}

export function pageblockIndex(pfn: number): number {
  return pfn >>> PAGEBLOCK_ORDER;
}

/** pageblock_start_pfn(). */
export function pageblockStartPfn(pfn: number): number {
  return pfn & ~(PAGEBLOCK_NR - 1);
}

/** pageblock_end_pfn(): first pfn after the pageblock holding pfn. */
export function pageblockEndPfn(pfn: number): number {
  return pageblockStartPfn(pfn) + PAGEBLOCK_NR;
}

/** get_pfnblock_migratetype(): MIGRATE_ISOLATE while isolated, else the block's type. */
export function getPageblockMigratetype(pbs: Pageblocks, pfn: number): number {
  const pb = pfn & ~(PAGEBLOCK_NR - 1);
  if ((pbs[pb + 2]! >>> PB_BIT) & 1) return PB_ISOLATE;
  return ((pbs[pb]! >>> PB_BIT) & 1) | (((pbs[pb + 1]! >>> PB_BIT) & 1) << 1);
}

/** The block's migratetype whether or not it is isolated (what undoing isolation restores). */
export function getPageblockTypeUnderIsolation(pbs: Pageblocks, pfn: number): number {
  const pb = pfn & ~(PAGEBLOCK_NR - 1);
  return ((pbs[pb]! >>> PB_BIT) & 1) | (((pbs[pb + 1]! >>> PB_BIT) & 1) << 1);
}

/**
 * set_pageblock_migratetype(): only the flag. PB_ISOLATE sets the isolate
 * bit and keeps the type; any other type is stored and clears isolation.
 * Moving the block's free pages to the matching free list is the
 * allocator's job (Buddy.setPageblockMigratetype).
 */
export function setPageblockMigratetypeFlag(pbs: Pageblocks, pfn: number, mt: number): void {
  const pb = pfn & ~(PAGEBLOCK_NR - 1);
  if (mt === PB_ISOLATE) {
    pbs[pb + 2] = pbs[pb + 2]! | PAGEBLOCK_FLAG_BITS;
    return;
  }
  pbs[pb] = (pbs[pb]! & ~PAGEBLOCK_FLAG_BITS) | ((mt & 1) << PB_BIT);
  pbs[pb + 1] = (pbs[pb + 1]! & ~PAGEBLOCK_FLAG_BITS) | (((mt >>> 1) & 1) << PB_BIT);
  pbs[pb + 2] = pbs[pb + 2]! & ~PAGEBLOCK_FLAG_BITS;
}
