/**
 * Memory waste, measured from the frames (ARCHITECTURE.md "Metrics"):
 * frames allocated to user memory minus the frames an ideal 4 KiB kernel
 * would need — each written, still reachable 4 KiB of data once.
 *
 * A frame is *needed* when it holds written data (content != 0) that is
 * reachable: mapped by a PTE, inside a PMD-mapped folio, pinned, or in a
 * shmem file's page cache. Every other allocated frame is waste, and so is
 * a second frame holding data already counted (a copy of shared data). The
 * cause comes from the frame's situation:
 *   split-blocked       in a THP whose split failed (pinned)
 *   unmapped-in-thp     unmapped subpage of a partially mapped THP
 *   truncated-retained  shmem subpage punched but kept
 *   collapse-bloat      zero-filled page mapped because a huge page covers it
 *   duplicated-shared   a second copy of data that is reachable elsewhere
 * Walks the LRU (every user folio) — sample-time work, not per event —
 * unless nothing can have changed since the last walk: every change to a
 * frame the walk reads is made under a counted lock or atomic (the ledger's
 * total moves), stores a fresh content token, or is a write of a given value
 * (counted apart); when none of those moved, the last report stands.
 */
import type { Kernel } from './kernel.js';
import { entireMapcount } from './folio.js';
import { PAGE_SIZE, PG, PG_PUNCHED, PG_SPLIT_FAILED } from './frames.js';

// The causes are the observation contract's (packages/events metrics.ts): one list, there.
import { WASTE_CAUSES, type WasteCause } from '@pagelab/events';
export { WASTE_CAUSES, type WasteCause };
export { PG_PUNCHED };

export interface WasteReport {
  allocatedBytes: number;
  idealBytes: number;
  wasteBytes: number;
  wasteByCause: Record<WasteCause, number>;
}

/**
 * Measures waste from the frames. Measuring changes nothing the model or a
 * later measurement depends on (`seen` is scratch space, the last walk a
 * cache reused while nothing that could change the answer moved): the peak
 * over a run is the engine's probe's to keep, not the meter's.
 */
export class WasteMeter {
  private seen = new Uint8Array(1 << 16);
  /** What the last walk saw: ledger total, tokens, value writes, LRU size, GUP handles. */
  private readonly lastSeen = new Float64Array(5).fill(-1);
  private last: WasteReport | undefined = undefined;
  /** Walks done (the rest of the measures reused the last one); for tests. */
  walks = 0;

  measure(k: Kernel): WasteReport {
    const s = this.lastSeen;
    const unchanged =
      this.last !== undefined && s[0] === k.ledger.lockedOps && s[1] === k.tokens && s[2] === k.valueWrites && s[3] === k.lru.size && s[4] === k.handles.size;
    if (unchanged) {
      const r = this.last!;
      return { ...r, wasteByCause: { ...r.wasteByCause } };
    }
    const r = this.walk(k);
    s[0] = k.ledger.lockedOps;
    s[1] = k.tokens;
    s[2] = k.valueWrites;
    s[3] = k.lru.size;
    s[4] = k.handles.size;
    this.last = r;
    return { ...r, wasteByCause: { ...r.wasteByCause } };
  }

  private walk(k: Kernel): WasteReport {
    this.walks++;
    const f = k.frames;
    const by = { 'unmapped-in-thp': 0, 'truncated-retained': 0, 'collapse-bloat': 0, 'duplicated-shared': 0, 'split-blocked': 0 };
    let allocated = 0,
      ideal = 0,
      unattributed = 0;
    this.seen.fill(0);
    // Pages held by a GUP handle are reachable through it, mapped or not.
    const pinned = new Set<number>();
    for (const h of k.handles.values()) for (const p of h.pfns) pinned.add(p);
    k.lru.forEach((head) => {
      const nr = f.nrPages(head);
      allocated += nr;
      const large = nr > 1;
      const pmdMapped = large && entireMapcount(f, head) > 0;
      const shmem = f.test(head, PG.shmem);
      const splitFailed = large && (f.flags[head]! >>> PG_SPLIT_FAILED) & 1;
      for (let i = 0; i < nr; i++) {
        const p = head + i;
        const c = f.content[p]!;
        const reachable = shmem || pmdMapped || mappedByPte(k, p) || (!large && f.refcount[p]! > 0) || pinned.has(p);
        if (reachable && c !== 0) {
          if (!this.firstSighting(c)) by['duplicated-shared']++;
          else ideal++;
          continue;
        }
        if (shmem && (f.flags[p]! >>> PG_PUNCHED) & 1) by['truncated-retained']++;
        else if (splitFailed && !reachable) by['split-blocked']++;
        else if (large && !reachable) by['unmapped-in-thp']++;
        else if (large) by['collapse-bloat']++;
        else unattributed++; // a small page holding zeroes: the ideal kernel would map the zero page
      }
    });
    by['collapse-bloat'] += unattributed;
    const waste = allocated - ideal;
    const wasteByCause = {} as Record<WasteCause, number>;
    for (const c of WASTE_CAUSES) wasteByCause[c] = by[c] * PAGE_SIZE;
    return { allocatedBytes: allocated * PAGE_SIZE, idealBytes: ideal * PAGE_SIZE, wasteBytes: waste * PAGE_SIZE, wasteByCause };
  }

  /** Content tokens are dense small integers (a counter), so a byte map finds repeats. */
  private firstSighting(c: number): boolean {
    if (c >= this.seen.length) {
      const grown = new Uint8Array(Math.max(c + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[c]) return false;
    this.seen[c] = 1;
    return true;
  }
}

/** A PTE maps this page (design A reuses a compound tail's _mapcount for pins, and never PTE-maps tails). */
function mappedByPte(k: Kernel, p: number): boolean {
  const f = k.frames;
  return f.mapcount[p]! > 0 && !(f.test(p, PG.tail) && !k.policies.refcount.pteMappedThp);
}
