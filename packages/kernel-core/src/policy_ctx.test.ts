import { describe, expect, it } from 'vitest';
import type { SharednessPolicy } from './axes.js';
import { folioMmId, folioMmIdMapcount, folioMmIdsWord, P2, P3 } from './folio.js';
import type { PolicyCtx } from './policy_ctx.js';
import { kernelIsPolicyCtx } from './policy_ctx.js';
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
