/**
 * zero-keep [E1]: Linux 4.8–5.6 shmem_undo_range. A hole punch that covers
 * only part of a shmem THP zeroes the punched subpages and keeps the whole
 * huge page in the page cache, so nothing is freed — even after every
 * subpage has been punched one by one (seed 001, docs/kernel/mm-facts.md §7 E.1, S14).
 */
import * as t from 'io-ts';
import type { PolicyDescriptor, ShmemTruncatePolicy } from '@pagelab/kernel-core';

export const ZeroKeepParams = t.type({});
export type ZeroKeepParams = t.TypeOf<typeof ZeroKeepParams>;

export function createZeroKeep(): ShmemTruncatePolicy {
  return {
    id: 'zero-keep',
    splitOnPartialPunch: () => false,
    mayRecollapse: () => true,
  };
}

export const descriptor: PolicyDescriptor<'shmem-truncate', ZeroKeepParams> = {
  id: 'zero-keep',
  axis: 'shmem-truncate',
  title: 'Partial hole punch zeroes the subpages and keeps the shmem THP',
  models: 'Linux 4.8–5.6 (T49); seed 001',
  params: ZeroKeepParams,
  defaults: {},
  paramDocs: {},
  create: () => createZeroKeep(),
};

export default descriptor;
