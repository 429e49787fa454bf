/**
 * Guards against khugepaged re-populating what a hole punch freed: the
 * state the split-and-guard designs keep on a shmem file, and the
 * primitives that change it (each counts its locked operations).
 *
 * No released kernel has either guard. Kirill Shutemov's review of Yang
 * Shi's FALLOC_FL_SPLIT_HPAGE RFC (Nov 2019) asked for "proper design"
 * because hpage_collapse_scan_file (mm/khugepaged.c; khugepaged_scan_file
 * before 6.2) collapses a file range as soon as `present >= HPAGE_PMD_NR -
 * max_ptes_none`, i.e. one present page with the default max_ptes_none of
 * 511, and collapse_file zero-fills every hole. Two ways to keep it away:
 *
 * - punched holes (`ShmemFile.punchedHoles`): each page index a punch left
 *   empty carries a mark, as a value entry left in the xarray slot would
 *   (a shadow-like entry: an xarray can only mark slots that hold an
 *   entry). khugepaged counts a marked hole against max_ptes_none as a hole
 *   it may not fill, so the range is refused (SCAN_EXCEED_NONE_PTE) while
 *   any mark is left; MADV_COLLAPSE, which ignores max_ptes_none, still
 *   collapses. A mark goes when its slot is filled again: a fault (read or
 *   write) or a collapse. Setting the marks of one punch takes the xa_lock
 *   once; filling a marked slot takes it once more.
 *
 * - guarded ranges (`ShmemFile.collapseGuard`): the 2 MiB range (its
 *   aligned index) is marked in a per-inode bitmap under the inode's
 *   spinlock (shmem_inode_info->lock), and hpage_collapse_scan_file skips
 *   it (SCAN_FAIL) for khugepaged and MADV_COLLAPSE alike until a write
 *   fault re-populates a page of it. A read fault does not lift it. One
 *   lock per punch to set, one per write fault that lifts it.
 *
 * Testing a mark is a lockless read (xa_get_mark under RCU, test_bit), so
 * khugepaged's scan and the fault path ask for free. Invariants
 * (invariants.ts): a marked hole is not in the page cache; a guarded range
 * is not backed by a huge folio.
 */
import type { Kernel } from './kernel.js';
import { HPAGE_PMD_NR } from './frames.js';
import { type Site, site } from './ledger.js';
import type { ShmemFile } from './shmem_file.js';

/**
 * What the primitives need of the machine: the counted locks and a frame's
 * order. The Kernel is one; so is the view a policy is handed.
 */
export interface GuardCtx {
  readonly ledger: { spinLock(s: Site): void; spinUnlock(): void; spinLockIrqSave(s: Site): void; spinUnlockIrqRestore(): void };
  readonly frames: { order(pfn: number): number };
}

const MARK_HOLES = site('shmem_punch.xa_set_mark');
const CLEAR_HOLE = site('shmem_add_to_page_cache.xa_clear_mark');
const GUARD_SET = site('shmem_punch.collapse_guard');
const GUARD_LIFT = site('shmem_fault.collapse_guard');

/** Marks every index of [start, end) the punch left out of the page cache; returns how many it marked. */
export function markPunchedHoles(k: GuardCtx, file: ShmemFile, start: number, end: number): number {
  let n = 0;
  k.ledger.spinLockIrqSave(MARK_HOLES);
  for (let idx = start; idx < end; idx++) {
    if (file.punchedHoles.has(idx) || file.lookup(idx, (p) => k.frames.order(p)) !== undefined) continue;
    file.punchedHoles.add(idx);
    n++;
  }
  k.ledger.spinUnlockIrqRestore();
  return n;
}

/** The marked holes in the 2 MiB range at `aligned` (lockless). */
export function punchedHolesIn(file: ShmemFile, aligned: number): number {
  if (file.punchedHoles.size === 0) return 0;
  let n = 0;
  for (let i = 0; i < HPAGE_PMD_NR; i++) if (file.punchedHoles.has(aligned + i)) n++;
  return n;
}

/**
 * Slots [start, start + nr) hold a folio again: their marks go, under the
 * xa_lock (counted once, unless the caller holds it already: collapse_file).
 */
export function fillPunchedHoles(k: GuardCtx, file: ShmemFile, start: number, nr: number, xaLocked = false): void {
  if (file.punchedHoles.size === 0) return;
  let locked = xaLocked;
  for (let idx = start; idx < start + nr; idx++) {
    if (!file.punchedHoles.has(idx)) continue;
    if (!locked) {
      k.ledger.spinLockIrqSave(CLEAR_HOLE);
      locked = true;
    }
    file.punchedHoles.delete(idx);
  }
  if (locked && !xaLocked) k.ledger.spinUnlockIrqRestore();
}

/**
 * Marks the 2 MiB ranges overlapping page indexes [start, end) so
 * hpage_collapse_scan_file skips them; a range still backed by a huge folio
 * (the punch could not split it) has nothing freed to guard. Returns how many
 * ranges it marked.
 */
export function guardCollapse(k: GuardCtx, file: ShmemFile, start: number, end: number): number {
  let n = 0;
  k.ledger.spinLock(GUARD_SET);
  for (let a = start - (start % HPAGE_PMD_NR); a < end; a += HPAGE_PMD_NR) {
    const head = file.cache.get(a);
    if (file.collapseGuard.has(a) || (head !== undefined && k.frames.order(head) > 0)) continue;
    file.collapseGuard.add(a);
    n++;
  }
  k.ledger.spinUnlock();
  return n;
}

/** A write fault re-populated a page of the range at `aligned`: the guard is lifted. */
export function liftCollapseGuard(k: GuardCtx, file: ShmemFile, aligned: number): void {
  if (!file.collapseGuard.has(aligned)) return;
  k.ledger.spinLock(GUARD_LIFT);
  file.collapseGuard.delete(aligned);
  k.ledger.spinUnlock();
}

/**
 * Whether the range at `aligned` of the file `fileId` is guarded (lockless).
 * The file is looked up on the machine the model handed the policy, which is
 * always its Kernel.
 */
export function collapseGuarded(k: GuardCtx, fileId: number, aligned: number): boolean {
  return (k as unknown as Kernel).fileById(fileId)?.collapseGuard.has(aligned) ?? false;
}

/** Both kinds of mark at or beyond `start` go with the pages a truncate removes (no lock: i_rwsem and the removal's xa_lock cover it). */
export function dropGuardsFrom(file: ShmemFile, start: number): void {
  for (const idx of [...file.punchedHoles]) if (idx >= start) file.punchedHoles.delete(idx);
  for (const a of [...file.collapseGuard]) if (a >= start) file.collapseGuard.delete(a);
}

/** Invariant sentences about one file's guard state (empty: consistent). */
export function guardViolations(k: GuardCtx, file: ShmemFile): string[] {
  const out: string[] = [];
  for (const idx of file.punchedHoles) {
    if (file.lookup(idx, (p) => k.frames.order(p)) !== undefined)
      out.push(`shmem ${file.name}: page ${idx} is marked as a punched hole but is in the page cache`);
  }
  for (const a of file.collapseGuard) {
    const head = file.cache.get(a);
    if (head !== undefined && k.frames.order(head) > 0)
      out.push(`shmem ${file.name}: range at index ${a} is guarded against collapse but backed by a huge folio`);
  }
  return out;
}
