/**
 * What a batch put must leave exactly as the one-by-one path does: the
 * counted operations, the free memory, every frame's flags, refcount and
 * LRU link, the LRU's size, and a consistent buddy allocator. A test runs
 * both paths on two kernels built alike and compares the two snapshots.
 */
import type { Kernel } from '../kernel.js';

export function putState(k: Kernel) {
  return {
    ledger: k.ledger.totals(),
    freeFrames: k.buddy.freeFrames(),
    flags: Array.from(k.frames.flags),
    refcount: Array.from(k.frames.refcount),
    lruNext: Array.from(k.frames.lruNext),
    lruSize: k.lru.size,
    buddyProblems: k.buddy.checkConsistency(),
  };
}
