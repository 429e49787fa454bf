/**
 * split-on-request [E2]: Yang Shi's RFC "mm: shmem: allow split THP when
 * truncating THP partially" (Nov 2019, seed 001). A new fallocate mode,
 * FALLOC_FL_SPLIT_HPAGE (the log's `mode: "punch_hole_split"`), asks
 * shmem_undo_range to split a huge page the punch covers only partly, so a
 * QEMU balloon inflating base pages of shmem-THP guest RAM really frees
 * them. Without the flag a partial punch does what 4.8-5.6 do (E1): zero
 * the punched subpages and keep the THP, for the users "which prefer
 * preserving THP".
 *
 * The split itself is the kernel's split_huge_page with one lookup
 * reference held (the model's punch takes exactly one, as Kirill asked:
 * "Pin the page before pagevec_release()"), so it fails on any other
 * reference that is not a mapping or the page cache's: a GUP pin (vhost,
 * vfio) or an extra lookup reference. A failed split zeroes and keeps the
 * pages, and is counted (split_page outcome, reason `pinned` / `extra_ref`;
 * shmem_punch outcome, reason `split_failed`).
 *
 * Nothing keeps khugepaged away afterwards: the RFC's answer to "This
 * implementation doesn't do anything to prevent khugepaged from collapsing
 * the range back to THP just after the split" was "Will clarify this in the
 * commit log". The flag was never merged (v2 made splitting the default).
 */
import * as t from 'io-ts';
import type { PolicyDescriptor, ShmemTruncatePolicy } from '@pagelab/kernel-core';

export const Params = t.type({});
export type Params = t.TypeOf<typeof Params>;

export function createSplitOnRequest(_params: Params = {}): ShmemTruncatePolicy {
  return {
    id: 'split-on-request',
    splitOnPartialPunch: (_k, _head, splitRequested) => splitRequested,
    mayRecollapse: () => true,
  };
}

export const descriptor: PolicyDescriptor<'shmem-truncate', Params> = {
  id: 'split-on-request',
  axis: 'shmem-truncate',
  title: 'Partial hole punch splits the shmem THP only when fallocate asks (FALLOC_FL_SPLIT_HPAGE); otherwise zero and keep',
  models: 'Yang Shi 2019 RFC, FALLOC_FL_SPLIT_HPAGE (design E2, never merged); seed 001',
  params: Params,
  defaults: {},
  paramDocs: {},
  create: (params) => createSplitOnRequest(params),
};

export default descriptor;
