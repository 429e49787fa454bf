/**
 * The pin-page table of Minchan Kim's RFC ("Pin page control subsystem",
 * Aug 2013): one global hash from struct page to the pin owner(s),
 * 2^bits buckets, chained. The bucket is hash_ptr(page, bits) of the page's
 * struct page address (kernel-core hash.ts: include/linux/hash.h). A page
 * pinned by two owners (the nested pins Minchan worried about: two drivers
 * GUP-pinning one file page) has two entries, so a lookup walks the whole
 * chain to find every owner.
 *
 * Locking is the caller's (the policy takes the one global spinlock around
 * every use). Entries live in typed arrays with a free list, so inserts and
 * removals allocate nothing once the pool has grown.
 */
import { type HashMultiplier, hashStructPage } from '@pagelab/kernel-core';

export class PinPageTable {
  readonly nrBuckets: number;
  private readonly heads: Int32Array;
  private readonly lens: Int32Array;
  private entPfn = new Int32Array(64);
  private entOwner = new Int32Array(64);
  private entNext = new Int32Array(64);
  private freeList = -1;
  private pool = 0;
  /** live entries and non-empty buckets */
  private entries = 0;
  private nonEmpty = 0;
  /** statistics */
  maxChain = 0;
  collisions = 0;
  /** every insert (registrations and repoints) */
  inserts = 0;
  private peakEntries = 0;
  private peakNonEmpty = 0;

  constructor(
    readonly bits: number,
    readonly multiplier: HashMultiplier,
  ) {
    this.nrBuckets = 2 ** bits;
    this.heads = new Int32Array(this.nrBuckets).fill(-1);
    this.lens = new Int32Array(this.nrBuckets);
  }

  bucketOf(pfn: number): number {
    return hashStructPage(pfn, this.bits, this.multiplier);
  }

  /** Entries now. */
  get size(): number {
    return this.entries;
  }

  /** The most entries the table held at once. */
  get peakSize(): number {
    return this.peakEntries;
  }

  /** Mean chain length of the non-empty buckets when the table held the most entries. */
  get meanChainAtPeak(): number {
    return this.peakNonEmpty === 0 ? 0 : this.peakEntries / this.peakNonEmpty;
  }

  /** Length of the chain `pfn` hashes to (what a lookup of it walks). */
  chainLength(pfn: number): number {
    return this.lens[this.bucketOf(pfn)]!;
  }

  insert(pfn: number, owner: number): void {
    const b = this.bucketOf(pfn);
    let e = this.freeList;
    if (e >= 0) this.freeList = this.entNext[e]!;
    else {
      if (this.pool === this.entPfn.length) this.grow();
      e = this.pool++;
    }
    this.entPfn[e] = pfn;
    this.entOwner[e] = owner;
    this.entNext[e] = this.heads[b]!;
    this.heads[b] = e;
    this.inserts++;
    const len = ++this.lens[b]!;
    if (len > 1) this.collisions++;
    else this.nonEmpty++;
    if (len > this.maxChain) this.maxChain = len;
    this.entries++;
    if (this.entries > this.peakEntries) {
      this.peakEntries = this.entries;
      this.peakNonEmpty = this.nonEmpty;
    }
  }

  /** Removes one (pfn, owner) entry; returns whether `pfn` still has an entry (another owner). */
  remove(pfn: number, owner: number): boolean {
    const b = this.bucketOf(pfn);
    let prev = -1;
    let removed = false;
    let remaining = false;
    for (let e = this.heads[b]!; e >= 0;) {
      const next = this.entNext[e]!;
      if (!removed && this.entPfn[e] === pfn && this.entOwner[e] === owner) {
        if (prev < 0) this.heads[b] = next;
        else this.entNext[prev] = next;
        this.entNext[e] = this.freeList;
        this.freeList = e;
        removed = true;
        this.entries--;
        if (--this.lens[b]! === 0) this.nonEmpty--;
      } else {
        if (this.entPfn[e] === pfn) remaining = true;
        prev = e;
      }
      e = next;
    }
    if (!removed) throw new Error(`pin-page table: no entry for pfn ${pfn} owner ${owner}`);
    return remaining;
  }

  /** Every owner of `pfn`, into `out` (cleared first); returns how many. */
  owners(pfn: number, out: number[]): number {
    out.length = 0;
    for (let e = this.heads[this.bucketOf(pfn)]!; e >= 0; e = this.entNext[e]!) if (this.entPfn[e] === pfn) out.push(this.entOwner[e]!);
    return out.length;
  }

  private grow(): void {
    const n = this.entPfn.length * 2;
    const g = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.entPfn = g(this.entPfn);
    this.entOwner = g(this.entOwner);
    this.entNext = g(this.entNext);
  }
}
