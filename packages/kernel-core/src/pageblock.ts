/**
 * Pageblock flags (include/linux/pageblock-flags.h, mm/page_alloc.c
 * get_pfnblock_migratetype / set_pageblock_migratetype): one migratetype per
 * pageblock_order (9) block of frames, one byte each, so 16 Mi frames cost
 * 32 KiB. Migratetype numbering lives in buddy.ts; this file only stores it.
 */
import { PAGEBLOCK_NR, PAGEBLOCK_ORDER } from './frames.js';

export type Pageblocks = Uint8Array;

/** Allocates the migratetype array for `nrFrames` frames, every block set to `mt`. */
export function allocPageblocks(nrFrames: number, mt: number): Pageblocks {
  const pbs = new Uint8Array(Math.ceil(nrFrames / PAGEBLOCK_NR));
  if (mt !== 0) pbs.fill(mt);
  return pbs;
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

/** get_pfnblock_migratetype(). */
export function getPageblockMigratetype(pbs: Pageblocks, pfn: number): number {
  return pbs[pfn >>> PAGEBLOCK_ORDER]!;
}

/**
 * set_pageblock_migratetype(): only the flag. Moving the block's free pages to
 * the matching free list is the allocator's job (Buddy.setPageblockMigratetype).
 */
export function setPageblockMigratetypeFlag(pbs: Pageblocks, pfn: number, mt: number): void {
  pbs[pfn >>> PAGEBLOCK_ORDER] = mt;
}
