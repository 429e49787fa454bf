/**
 * Reference policies for kernel-core's own tests: the head-only refcount of
 * 4.5+ and the precise per-page sharedness of 5.8, built from the core's
 * exported mechanisms, plus the baseline behaviours of the two axes whose
 * packages come later. The real policies live in policy-* packages.
 */
import type { DesignPolicies, PinnedMigrationPolicy, RefcountPolicy, SharednessPolicy, ShmemTruncatePolicy } from '../axes.js';
import { pageMapcount } from '../folio.js';
import { Kernel, type MachineConfig } from '../kernel.js';
import { site } from '../ledger.js';
import { DEFAULT_PARAMS, type ModelParams, type Settings } from '../params.js';
import { grabFolioRefs, putFolioRef, splitFolioFrozen, splitHugePmdLocked } from '../policy_ctx.js';

const GET = site('get_page');
const PUT = site('put_page');

export const refHeadRefcount: RefcountPolicy = {
  id: 'test-head-refcount',
  pteMappedThp: true,
  getPage: (k, pfn) => void k.ledger.atomicInc(k.frames.refcount, k.frames.head(pfn), GET),
  putPage: (k, pfn) => k.folioPutRefs(k.frames.head(pfn), 1, PUT),
  gupGrab: (k, pfn, nr, kind, fast, pmdLeaf) => grabFolioRefs(k, pfn, nr, kind, fast, pmdLeaf),
  gupRelease: (k, pfn, kind) => putFolioRef(k, pfn, kind),
  splitHugePmd: (k, mm, addr) => splitHugePmdLocked(k, mm, addr),
  splitHugePage: (k, head) => splitFolioFrozen(k, head),
};

export const refPreciseSharedness: SharednessPolicy = {
  id: 'test-precise-mapcount',
  addLargeMapping: () => {},
  removeLargeMapping: () => {},
  mappedShared: (k, pfn) => pageMapcount(k.frames, pfn) > 1,
};

export const refPinsBlock: PinnedMigrationPolicy = {
  id: 'test-pins-block',
  migrateDriverPage: () => 'busy',
  onDriverPin: () => {},
};

export const refSplitOnPunch: ShmemTruncatePolicy = {
  id: 'test-split-on-punch',
  splitOnPartialPunch: () => true,
  mayRecollapse: () => true,
};

export const referencePolicies: DesignPolicies = {
  refcount: refHeadRefcount,
  sharedness: refPreciseSharedness,
  pinnedMigration: refPinsBlock,
  shmemTruncate: refSplitOnPunch,
};

/** A small machine for tests: 64 MiB, one node, no CMA, 16 MiB swap. */
export function testKernel(
  opts: { config?: Partial<MachineConfig>; policies?: Partial<DesignPolicies>; params?: Partial<ModelParams>; settings?: Partial<Settings> } = {},
): Kernel {
  return new Kernel(
    { memory: 64 << 20, nodes: 1, cma: 0, swap: 16 << 20, ...opts.config },
    { ...referencePolicies, ...opts.policies },
    { ...DEFAULT_PARAMS, ...opts.params },
    opts.settings,
  );
}
