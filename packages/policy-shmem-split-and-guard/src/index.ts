/**
 * split-and-guard: a partial hole punch splits the shmem THP and frees the
 * punched pages (as 5.7+ do, E3-E5), *and* keeps khugepaged from collapsing
 * the range straight back, the "proper design" Kirill Shutemov asked for in
 * his review of Yang Shi's FALLOC_FL_SPLIT_HPAGE RFC (seed 001: "This
 * implementation doesn't do anything to prevent khugepaged from collapsing
 * the range back to THP just after the split"). No kernel has it.
 *
 * `guard` chooses how (kernel-core shmem_guard.ts keeps the state on the
 * file and counts the locks):
 *   - `max-ptes-none`: each page the punch left empty is marked; khugepaged
 *     counts a marked hole against max_ptes_none as one it may not fill
 *     (SCAN_EXCEED_NONE_PTE) and a fault never brings a huge folio over
 *     one. A mark goes when its page is faulted in again (read or write).
 *     MADV_COLLAPSE ignores max_ptes_none, so an explicit collapse still
 *     refills. Cost: one xa_lock per punch, one per refault of a marked hole;
 *     a range stays small until every one of its holes has been refaulted.
 *   - `skip-range`: the 2 MiB range is marked; hpage_collapse_scan_file
 *     skips it (SCAN_FAIL) for khugepaged and MADV_COLLAPSE until a write
 *     fault re-populates a page of it. Cost: one inode spinlock per punch,
 *     one per lifting write fault; one write anywhere into the range lets
 *     khugepaged refill all its other holes.
 */
import * as t from 'io-ts';
import { type PolicyDescriptor, type ShmemTruncatePolicy, collapseGuarded, guardCollapse, markPunchedHoles } from '@pagelab/kernel-core';

export const GUARDS = ['skip-range', 'max-ptes-none'] as const;
export type Guard = (typeof GUARDS)[number];

export const Params = t.type({
  guard: t.keyof({ 'skip-range': null, 'max-ptes-none': null }, 'one of skip-range, max-ptes-none'),
});
export type Params = t.TypeOf<typeof Params>;

export function createSplitAndGuard(params: Params = { guard: 'skip-range' }): ShmemTruncatePolicy {
  if (params.guard === 'max-ptes-none') {
    return {
      id: 'split-and-guard',
      splitOnPartialPunch: () => true,
      // The marks themselves keep khugepaged away (khugepaged_file.ts); the range may come back once they are gone.
      mayRecollapse: () => true,
      onPunch: (k, file, start, end) => void markPunchedHoles(k, file, start, end),
    };
  }
  return {
    id: 'split-and-guard',
    splitOnPartialPunch: () => true,
    mayRecollapse: (k, fileId, index) => !collapseGuarded(k, fileId, index),
    onPunch: (k, file, start, end) => void guardCollapse(k, file, start, end),
  };
}

export const descriptor: PolicyDescriptor<'shmem-truncate', Params> = {
  id: 'split-and-guard',
  axis: 'shmem-truncate',
  title: 'Partial hole punch splits the shmem THP, frees the punched pages and keeps khugepaged from refilling them',
  models: 'seed 001 (the review asks for a design that keeps khugepaged away); no released kernel',
  params: Params,
  defaults: { guard: 'skip-range' },
  paramDocs: {
    guard:
      'skip-range: the punched 2 MiB range is skipped by hpage_collapse_scan_file until a write fault re-populates it; max-ptes-none: each punched hole counts against max_ptes_none as unfillable until it is faulted in again',
  },
  create: (params) => createSplitAndGuard(params),
};

export default descriptor;
