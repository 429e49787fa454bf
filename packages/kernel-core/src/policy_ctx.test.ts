import { describe, expect, it } from 'vitest';
import type { PinnedMigrationPolicy, SharednessPolicy, ShmemTruncatePolicy } from './axes.js';
import { driverPageHandle as driverPageHandleOfKernel, reclaimDriverPage as reclaimDriverPageOfKernel } from './compaction.js';
import { migrateFolio as migrateFolioOfKernel } from './migrate.js';
import { guardCollapse as guardCollapseOfFile } from './shmem_guard.js';
import { folioMmId, folioMmIdMapcount, folioMmIdsWord, P2, P3 } from './folio.js';
import type { PolicyCtx } from './policy_ctx.js';
import { driverPageOwner, guardCollapse, kernelIsPolicyCtx, migrateFolio } from './policy_ctx.js';
import { testKernel } from './testing/reference.js';
import { site } from './ledger.js';

const S = site('policy_ctx.test');

/**
 * The @ts-expect-error lines are the test: `tsc -p tsconfig.spec.json` fails
 * if any of them compiles (a policy could then write a frame field or reach
 * machine state behind the ledger's back). They sit in functions that are
 * never called, so nothing runs against a real machine.
 */
function whatAPolicyCannotDo(k: PolicyCtx, p: number): void {
  // @ts-expect-error frames are read-only: a store must go through k.ledger
  k.frames.refcount[p] = 1;
  // @ts-expect-error not even an increment of a mapcount
  k.frames.mapcount[p]++;
  // @ts-expect-error nor a tail-slot field (the mm-id slots live in mapping)
  k.frames.mapping[p + P2] = 7;
  // @ts-expect-error nor a flag bit
  k.frames.flags[p] |= 1;
  // @ts-expect-error the processes are not the policy's to see
  void k.mms;
  // @ts-expect-error nor the allocator
  void k.buddy;
  // @ts-expect-error nor the observation stream
  k.emit(undefined as never);
  // @ts-expect-error nor a raw free that skips the refcount
  k.freeFolio(p);
}
void whatAPolicyCannotDo;

/**
 * The same for the pinned-migration axis: a design may move, reclaim and
 * look up driver pages only through the listed mechanisms, never with the
 * Kernel-typed ones behind them or the machine's own tables.
 */
const pinnedCannot: PinnedMigrationPolicy = {
  id: 'ctx-test-pinned',
  migrateDriverPage(k, pfn) {
    // @ts-expect-error frames are read-only: the copy of a moved page is the mechanism's, not the policy's
    k.frames.content[pfn] = 0;
    // @ts-expect-error the driver allocations are the model's: a policy asks driverPageOwner
    void k.drivers;
    // @ts-expect-error nor may it hand out or take back frames itself
    void k.buddy.allocPages(0, 0, 0);
    // @ts-expect-error the Kernel-typed migration behind migrateFolio does not take the context
    migrateFolioOfKernel(k, pfn, 'compaction');
    // @ts-expect-error nor the Kernel-typed reclaim
    reclaimDriverPageOfKernel(k, pfn);
    // @ts-expect-error nor the Kernel-typed owner lookup
    driverPageHandleOfKernel(k, pfn);
    return driverPageOwner(k, pfn) === undefined ? 'busy' : migrateFolio(k, pfn, 'compaction').ok ? 'migrated' : 'busy';
  },
  onDriverPin() {},
  onGupPin(_k, _name, h) {
    // @ts-expect-error a GUP handle's pages are read-only to a policy
    h.pfns[0] = 0;
  },
  stats(k) {
    // @ts-expect-error the policy table of the machine is not a policy's to see
    void k.policies;
    return { globalLockAcquisitions: k.ledger.atSite(S) };
  },
};
void pinnedCannot;

/** And for the shmem-truncate axis: the file's page cache and guard marks change only through the guard mechanisms. */
const shmemCannot: ShmemTruncatePolicy = {
  id: 'ctx-test-shmem',
  splitOnPartialPunch(k, head) {
    // @ts-expect-error frames are read-only: no zeroing of a punched page behind the model's back
    k.frames.content[head] = 0;
    // @ts-expect-error the files are the model's
    void k.files;
    return false;
  },
  mayRecollapse: () => true,
  onPunch(k, file, start, end) {
    // @ts-expect-error the page cache is not the policy's
    void file.cache;
    // @ts-expect-error nor the guard marks, set only by the counted primitives
    file.collapseGuard.add(start);
    // @ts-expect-error the primitive typed for a ShmemFile does not take the policy's view of it
    guardCollapseOfFile(k, file, start, end);
    guardCollapse(k, file, start, end);
  },
};
void shmemCannot;

/** What a policy can do: read every field, change one through a counted primitive. */
const readsAndCountedWrites: SharednessPolicy = {
  id: 'ctx-test',
  addLargeMapping(k, head) {
    k.ledger.atomicInc(k.frames.mapcount, head, S);
  },
  removeLargeMapping() {},
  mappedShared: (k, pfn) => k.frames.mapcount[pfn]! + folioMmId(k.frames, k.frames.head(pfn), 0) > 1,
};

describe('PolicyCtx', () => {
  it('a Kernel is handed to a policy as its PolicyCtx, and a counted store through the context reaches the frame', () => {
    const k = testKernel();
    const ctx = kernelIsPolicyCtx(k);
    const before = k.ledger.totals().lockedOps;
    readsAndCountedWrites.addLargeMapping(ctx, 5, undefined as never, 1, false);
    expect(k.frames.mapcount[5]).toBe(1);
    expect(k.ledger.totals().lockedOps).toBe(before + 1);
  });

  it('the mm-id accessors name the tail slots folio.ts documents (_mm_id in page[2], their mapcounts and _mm_ids in page[3])', () => {
    const k = testKernel();
    const f = k.frames;
    const head = 512;
    f.mapping[head + P2] = 11;
    f.index[head + P2] = 12;
    f.lruNext[head + P3] = 3;
    f.lruPrev[head + P3] = 4;
    expect([folioMmId(f, head, 0), folioMmId(f, head, 1)]).toEqual([11, 12]);
    expect([folioMmIdMapcount(f, head, 0), folioMmIdMapcount(f, head, 1)]).toEqual([3, 4]);
    expect(folioMmIdsWord(head)).toBe(head + P3);
  });
});
