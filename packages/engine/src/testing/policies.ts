/**
 * Stand-in policy descriptors for tests of the engine and the lab: kernel-core's
 * reference policies (testing/reference.ts: the head-only refcount of 4.5+,
 * precise sharedness, pins block migration, split on punch) under the real
 * policy ids, so presets resolve without the engine importing a policy package.
 * Their titles say they are stand-ins.
 */
import * as t from 'io-ts';
import {
  refHeadRefcount,
  refPinsBlock,
  refPreciseSharedness,
  refSplitOnPunch,
  type AxisName,
  type AxisPolicy,
  type PolicyDescriptor,
} from '@pagelab/kernel-core';

const NoParams = t.type({}, 'no parameters');

function descriptor<A extends AxisName>(axis: A, id: string, create: () => AxisPolicy[A]): PolicyDescriptor {
  const d: PolicyDescriptor<A> = {
    id,
    axis,
    title: `test stand-in for ${id}`,
    models: 'engine tests (built from kernel-core mechanisms)',
    params: NoParams as unknown as t.Type<Record<string, unknown>, unknown, unknown>,
    defaults: {},
    create,
  };
  return d as unknown as PolicyDescriptor;
}

export const standInHeadRefcount = descriptor('refcount', 'head-refcount', () => ({ ...refHeadRefcount, id: 'head-refcount' }));

const precise = (id: string) => descriptor('sharedness', id, () => ({ ...refPreciseSharedness, id }));
export const standInPreciseMapcount = precise('precise-mapcount');
export const standInLikelyMappedShared = precise('likely-mapped-shared');

const migration = (id: string, answer: 'busy' | 'migrated') =>
  descriptor('pinned-migration', id, () => ({ ...refPinsBlock, id, migrateDriverPage: () => answer }));
export const standInPinsBlock = migration('pins-block', 'busy');
export const standInMovableOps = migration('movable-ops', 'migrated');

const truncate = (id: string, split: boolean) => descriptor('shmem-truncate', id, () => ({ ...refSplitOnPunch, id, splitOnPartialPunch: () => split }));
export const standInSplitOnPunch = truncate('split-on-punch', true);
export const standInZeroKeep = truncate('zero-keep', false);

/** Enough stand-ins for the linux-5.8 and linux-6.10 presets (and overrides among them). */
export const standInDescriptors: readonly PolicyDescriptor[] = [
  standInHeadRefcount,
  standInPreciseMapcount,
  standInLikelyMappedShared,
  standInPinsBlock,
  standInMovableOps,
  standInSplitOnPunch,
  standInZeroKeep,
];
