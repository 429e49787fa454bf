/**
 * split-on-punch [E3–E5]: Yang Shi's v2 / Hugh Dickins' 5.7 shmem punch and
 * the folio-era truncate_inode_partial_folio. A partial punch tries
 * split_huge_page; on success the punched pages are freed, on failure (a pin
 * or any extra reference) the folio is zeroed and kept. khugepaged may
 * collapse the range straight back — the review point of seed 001.
 */
import * as t from 'io-ts';
import type { PolicyDescriptor, ShmemTruncatePolicy } from '@pagelab/kernel-core';

export const SplitOnPunchParams = t.type({});
export type SplitOnPunchParams = t.TypeOf<typeof SplitOnPunchParams>;

export function createSplitOnPunch(): ShmemTruncatePolicy {
  return {
    id: 'split-on-punch',
    splitOnPartialPunch: () => true,
    mayRecollapse: () => true,
  };
}

export const descriptor: PolicyDescriptor<'shmem-truncate', SplitOnPunchParams> = {
  id: 'split-on-punch',
  axis: 'shmem-truncate',
  title: 'Partial hole punch splits the shmem THP and frees the punched pages (zeroes them if the split fails)',
  models: 'Linux 5.7+ (ML-HD-punch), T61/T612 truncate_inode_partial_folio; seed 001',
  params: SplitOnPunchParams,
  defaults: {},
  paramDocs: {},
  create: () => createSplitOnPunch(),
};

export default descriptor;
