/**
 * Stand-in policy descriptors for tests of the engine and the lab, built
 * from kernel-core's exported mechanisms (as kernel-core's own
 * testing/reference.ts does): the head-only refcount of 4.5+, precise
 * sharedness, pins block migration, split on punch. They carry the real
 * policy ids so presets resolve, and say in their titles that they are stand-ins.
 */
import * as t from 'io-ts';
import {
  GUP_PIN_COUNTING_BIAS, PG, pageMapcount, site, splitFolioFrozen, splitHugePmdLocked,
  type AxisName, type AxisPolicy, type GupKind, type Kernel, type PinnedMigrationPolicy, type PolicyDescriptor, type RefcountPolicy,
  type SharednessPolicy, type ShmemTruncatePolicy,
} from '@pagelab/kernel-core';

const GET = site('get_page');
const PUT = site('put_page');
const GRAB_FAST = site('gup_fast.try_grab_folio');
const GRAB_SLOW = site('follow_page.try_grab_folio');
const GRAB_REF = site('folio_set_referenced');
const UNPIN = site('unpin_user_page');
const PUT_GUP = site('put_page.gup');

/** try_grab_folio on a head-refcounted folio (kernel-core gup.ts grabFolioRefs, which its index does not export). */
function grab(k: Kernel, pfn: number, refs: number, kind: GupKind, fast: boolean, pmdLeaf: boolean): void {
  const f = k.frames;
  const head = f.head(pfn);
  const s = fast ? GRAB_FAST : GRAB_SLOW;
  const large = f.order(head) >= 2;
  if (kind === 'pin' && !large) k.ledger.atomicAdd(f.refcount, head, refs * GUP_PIN_COUNTING_BIAS, s);
  else k.ledger.atomicAdd(f.refcount, head, refs, s);
  if (kind === 'pin' && large) k.ledger.atomicAdd(f.pincount, head + 1, refs, s);
  if (fast && pmdLeaf) k.ledger.setBit(f.flags, head, PG.referenced, GRAB_REF);
}

function release(k: Kernel, pfn: number, kind: GupKind): void {
  const f = k.frames;
  const head = f.head(pfn);
  if (kind === 'pin') {
    if (f.order(head) >= 2) {
      k.ledger.atomicDec(f.pincount, head + 1, UNPIN);
      k.folioPutRefs(head, 1, UNPIN);
    } else k.folioPutRefs(head, GUP_PIN_COUNTING_BIAS, UNPIN);
    return;
  }
  k.folioPutRefs(head, 1, PUT_GUP);
}

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

export const standInHeadRefcount = descriptor('refcount', 'head-refcount', (): RefcountPolicy => ({
  id: 'head-refcount',
  pteMappedThp: true,
  getPage: (k, pfn) => void k.ledger.atomicInc(k.frames.refcount, k.frames.head(pfn), GET),
  putPage: (k, pfn) => k.folioPutRefs(k.frames.head(pfn), 1, PUT),
  gupGrab: (k, pfn, nr, kind, fast, pmdLeaf) => grab(k, pfn, nr, kind, fast, pmdLeaf),
  gupRelease: (k, pfn, kind) => release(k, pfn, kind),
  splitHugePmd: (k, mm, addr) => splitHugePmdLocked(k, mm, addr),
  splitHugePage: (k, head) => splitFolioFrozen(k, head),
}));

const precise = (id: string) =>
  descriptor('sharedness', id, (): SharednessPolicy => ({
    id,
    addLargeMapping: () => {},
    removeLargeMapping: () => {},
    mappedShared: (k, pfn) => pageMapcount(k.frames, pfn) > 1,
  }));
export const standInPreciseMapcount = precise('precise-mapcount');
export const standInLikelyMappedShared = precise('likely-mapped-shared');

const migration = (id: string, answer: 'busy' | 'migrated') =>
  descriptor('pinned-migration', id, (): PinnedMigrationPolicy => ({ id, migrateDriverPage: () => answer, onDriverPin: () => {} }));
export const standInPinsBlock = migration('pins-block', 'busy');
export const standInMovableOps = migration('movable-ops', 'migrated');

const truncate = (id: string, split: boolean) =>
  descriptor('shmem-truncate', id, (): ShmemTruncatePolicy => ({ id, splitOnPartialPunch: () => split, mayRecollapse: () => true }));
export const standInSplitOnPunch = truncate('split-on-punch', true);
export const standInZeroKeep = truncate('zero-keep', false);

/** Enough stand-ins for the linux-5.8 and linux-6.10 presets (and overrides among them). */
export const standInDescriptors: readonly PolicyDescriptor[] = [
  standInHeadRefcount, standInPreciseMapcount, standInLikelyMappedShared,
  standInPinsBlock, standInMovableOps, standInSplitOnPunch, standInZeroKeep,
];
