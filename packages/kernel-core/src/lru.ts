/**
 * The LRU: one list per node of folio heads, linked through the heads'
 * lruNext/lruPrev (tails never sit on it). Adding and removing take the
 * lruvec lock and flip PG_lru, as folio_add_lru / folio_isolate_lru do.
 */
import { type Frames, PG } from './frames.js';
import { type Ledger, site } from './ledger.js';

const LRU_ADD = site('folio_add_lru');
const LRU_DEL = site('folio_isolate_lru');

export class Lru {
  private readonly headOf: Int32Array;
  private readonly tailOf: Int32Array;
  private count = 0;
  constructor(
    private readonly f: Frames,
    private readonly ledger: Ledger,
    nodes: number,
  ) {
    this.headOf = new Int32Array(nodes).fill(-1);
    this.tailOf = new Int32Array(nodes).fill(-1);
  }

  get size(): number {
    return this.count;
  }

  /** folio_add_lru: newest at the head. */
  add(head: number, nid: number): void {
    const f = this.f;
    this.ledger.spinLockIrqSave(LRU_ADD);
    this.ledger.setBit(f.flags, head, PG.lru, LRU_ADD);
    this.link(head, nid);
    this.ledger.spinUnlockIrqRestore();
  }

  /** Plain list insertion for callers already holding the lruvec lock (lru_add_page_tail). */
  link(head: number, nid: number): void {
    const f = this.f;
    const first = this.headOf[nid]!;
    f.lruPrev[head] = -1;
    f.lruNext[head] = first;
    if (first >= 0) f.lruPrev[first] = head;
    else this.tailOf[nid] = head;
    this.headOf[nid] = head;
    this.count++;
  }

  /** folio_isolate_lru / removal on free. No-op when not on the LRU. */
  del(head: number, nid: number, counted = true): boolean {
    const f = this.f;
    if (!f.test(head, PG.lru)) return false;
    if (counted) {
      this.ledger.spinLockIrqSave(LRU_DEL);
      this.ledger.clearBit(f.flags, head, PG.lru, LRU_DEL);
    } else f.flags[head] = f.flags[head]! & ~(1 << PG.lru);
    const p = f.lruPrev[head]!,
      n = f.lruNext[head]!;
    if (p >= 0) f.lruNext[p] = n;
    else this.headOf[nid] = n;
    if (n >= 0) f.lruPrev[n] = p;
    else this.tailOf[nid] = p;
    f.lruNext[head] = -1;
    f.lruPrev[head] = -1;
    this.count--;
    if (counted) this.ledger.spinUnlockIrqRestore();
    return true;
  }

  /** Oldest folio of a node (reclaim scans from the tail), or -1. */
  oldest(nid: number): number {
    return this.tailOf[nid]!;
  }
  newer(head: number): number {
    return this.f.lruPrev[head]!;
  }
  /** Walk every folio on every node's LRU, newest first (snapshots, waste, invariants). */
  forEach(fn: (head: number) => void): void {
    for (let nid = 0; nid < this.headOf.length; nid++) {
      for (let h = this.headOf[nid]!; h >= 0;) {
        const next = this.f.lruNext[h]!;
        fn(h);
        h = next;
      }
    }
  }
}
