/**
 * What a batch put must leave exactly as the one-by-one path does: the
 * counted operations, the free memory, every frame's flags, refcount and
 * LRU link, and the LRU's size. A test runs both paths on two kernels built
 * alike and compares the two snapshots (and checks the buddy allocator's
 * consistency itself: two equally broken allocators would compare equal).
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
  };
}
