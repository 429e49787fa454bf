/**
 * Where a pinning process sees the pages it pinned (GupHandle.at): set at
 * the pin, moved by mremap, dropped when the process lets go of the
 * address. Kept apart from gup.ts so the VMA paths that move and drop
 * addresses depend on nothing but the handles.
 */
import { PAGE_SIZE } from './frames.js';
import type { Kernel } from './kernel.js';
import type { MM } from './mm.js';

/** Where the pinning process sees each of `n` pages pinned from `addr`: the pinned addresses, before anything moves them. */
export function pinnedAddresses(addr: number, n: number): Float64Array {
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) at[i] = addr + i * PAGE_SIZE;
  return at;
}

/**
 * The process let go of [start, end) (munmap, MADV_DONTNEED, exit, a page
 * hwpoisoned under it): a later device write through a pin of those pages
 * lands in a page it no longer maps, and it reads what the kernel gives it
 * there instead (zero-fill for private anon: mm/madvise.c
 * madvise_dontneed_single_vma -> zap_page_range_single). Not a loss.
 */
export function gupForgetRange(k: Kernel, mm: MM, start: number, end: number): void {
  if (k.handles.size === 0) return;
  for (const h of k.handles.values()) {
    const at = h.at;
    if (h.pid !== mm.pid || !at) continue;
    for (let i = 0; i < at.length; i++) if (at[i]! >= start && at[i]! < end) at[i] = -1;
  }
}

/**
 * mremap moved [start, end) by `delta`: move_page_tables carries the PTEs,
 * so the pinned pages are the process's at their new addresses (mm/mremap.c
 * move_ptes / move_huge_pmd), and a device write shows up there.
 */
export function gupMoveRange(k: Kernel, mm: MM, start: number, end: number, delta: number): void {
  if (k.handles.size === 0) return;
  for (const h of k.handles.values()) {
    const at = h.at;
    if (h.pid !== mm.pid || !at) continue;
    for (let i = 0; i < at.length; i++) if (at[i]! >= start && at[i]! < end) at[i] = at[i]! + delta;
  }
}
