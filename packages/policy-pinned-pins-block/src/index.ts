/**
 * pins-block [D0]: the baseline of every era — compaction and contiguous
 * allocation cannot move a kernel-owned (driver) page. zbud / zswap pages,
 * DMA buffers and other pinned kernel pages stay where they are, and a
 * CMA allocation over one fails with -EBUSY (docs/kernel/mm-facts.md §6 D.1, S13).
 */
import * as t from 'io-ts';
import type { PinnedMigrationPolicy, PolicyDescriptor } from '@pagelab/kernel-core';

export const PinsBlockParams = t.type({});
export type PinsBlockParams = t.TypeOf<typeof PinsBlockParams>;

export function createPinsBlock(): PinnedMigrationPolicy {
  return {
    id: 'pins-block',
    // isolate_migratepages_block skips a page that is neither on the LRU nor movable: nothing to do, nothing to pay.
    migrateDriverPage: () => 'busy',
    onDriverPin: () => {},
  };
}

export const descriptor: PolicyDescriptor<'pinned-migration', PinsBlockParams> = {
  id: 'pins-block',
  axis: 'pinned-migration',
  title: 'Driver-owned and pinned pages block compaction and CMA',
  models: 'Linux 3.13 (T313) zbud/zswap; seed 004',
  params: PinsBlockParams,
  defaults: {},
  paramDocs: {},
  create: () => createPinsBlock(),
};

export default descriptor;
