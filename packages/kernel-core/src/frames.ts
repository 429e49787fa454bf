/**
 * struct page, as a struct-of-arrays over typed arrays: one slot per 4 KiB
 * frame, 32 bytes per frame in all (8 x 4-byte fields), so a 64 GiB machine
 * (16 Mi frames) costs 512 MiB of heap.
 *
 * Like the kernel, a large folio keeps its extra fields in the struct pages of
 * its first tails (mm_types.h: _entire_mapcount and friends live in page[1],
 * _deferred_list in page[2]); tails are never on the LRU, so their lru slots
 * and mapping/index are free to carry them. Only folios of order >= 2 have them.
 *
 * Logical (un-offset) counts throughout: a mapcount of 0 means unmapped.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const HPAGE_PMD_ORDER = 9;
export const HPAGE_PMD_NR = 1 << HPAGE_PMD_ORDER;
export const HPAGE_PMD_SIZE = PAGE_SIZE * HPAGE_PMD_NR;
export const MAX_ORDER = 10; // orders 0..10 (MAX_PAGE_ORDER)
export const PAGEBLOCK_ORDER = 9;
export const PAGEBLOCK_NR = 1 << PAGEBLOCK_ORDER;
/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h). */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** Page flag bits (include/linux/page-flags.h names). */
export const PG = {
  locked: 0,
  referenced: 1,
  uptodate: 2,
  dirty: 3,
  lru: 4,
  active: 5,
  head: 6,
  tail: 7,
  anon: 8,
  swapbacked: 9,
  anon_exclusive: 10,
  hwpoison: 11,
  /** design A's compound_lock: a bit spinlock in the head's flags. */
  compound_lock: 12,
  swapcache: 13,
  /** free in the buddy allocator (PageBuddy); order in the order bits. */
  buddy: 14,
  reserved: 15,
  /** driver page with movable_ops (__PageMovable). */
  movable_ops: 16,
  isolated: 17,
  /** on the deferred split queue (PG_partially_mapped / deferred_list non-empty). */
  deferred: 18,
  double_map: 19,
  ksm: 20,
  /** allocated to a kernel user (driver_alloc: zbud/zswap, DMA buffers). */
  driver: 21,
  /** Minchan's PagePinned: registered with the pin-page owner subsystem. */
  pinned_owner: 22,
  /** shmem page cache page. */
  shmem: 23,
} as const;
export type PageFlag = (typeof PG)[keyof typeof PG];

/**
 * Model-only flag bits, kept here beside PG (not in the behaviour modules
 * that set them) so that reading one creates no import between those
 * modules. Bit 30 belongs to the pageblock (pageblock.ts), bit 31 is never set.
 */
/** The last split attempt of this folio failed (its waste is "split-blocked"); set by vmscan.ts. */
export const PG_SPLIT_FAILED = 28;
/** This shmem page was punched (zeroed) but kept in a huge folio; set by shmem.ts. */
export const PG_PUNCHED = 29;

/**
 * Compound order lives in flags bits 24..27 of every frame of a folio or free
 * block. Bits 28 and 29 are model-only page marks (vmscan.ts PG_SPLIT_FAILED,
 * waste.ts PG_PUNCHED); bit 30 belongs to the pageblock, not the page
 * (pageblock.ts PAGEBLOCK_FLAG_BITS): whole-word flag stores keep it. Bit 31
 * is never set, so flags stay small integers.
 */
const ORDER_SHIFT = 24;
const ORDER_MASK = 0xf << ORDER_SHIFT;

/** A content token is a version number per 4 KiB of data; 0 = zero-filled. */
export const ZERO_CONTENT = 0;

export class Frames {
  readonly nr: number;
  readonly flags: Uint32Array;
  readonly refcount: Int32Array;
  /** per-page mapcount (PTE mappings). Design A reuses a tail's for its pin count. */
  readonly mapcount: Int32Array;
  readonly content: Uint32Array;
  /** head: LRU / buddy free-list links; page[1]: _entire_mapcount / _pincount; page[2]: deferred list links. */
  readonly lruNext: Int32Array;
  readonly lruPrev: Int32Array;
  /** head: anon_vma id or file id; page[1]: _large_mapcount; page[2]/[3]: mm-id slots. */
  readonly mapping: Int32Array;
  /** head: page offset (anon: linear page index; file: page cache index); page[1]: _nr_pages_mapped. */
  readonly index: Int32Array;

  // Aliases naming the large-folio fields stored in tail slots (see folio.ts for offsets).
  readonly entireMapcount: Int32Array;
  readonly pincount: Int32Array;
  readonly largeMapcount: Int32Array;
  readonly nrPagesMapped: Int32Array;
  /** `mapping` as unsigned words, for bit operations on words kept there (page[3]'s _mm_ids). Same memory. */
  readonly mappingWords: Uint32Array;

  constructor(nr: number) {
    this.nr = nr;
    this.flags = new Uint32Array(nr);
    this.refcount = new Int32Array(nr);
    this.mapcount = new Int32Array(nr);
    this.content = new Uint32Array(nr);
    this.lruNext = new Int32Array(nr);
    this.lruPrev = new Int32Array(nr);
    this.mapping = new Int32Array(nr);
    this.index = new Int32Array(nr);
    this.entireMapcount = this.lruNext;
    this.pincount = this.lruPrev;
    this.largeMapcount = this.mapping;
    this.nrPagesMapped = this.index;
    this.mappingWords = new Uint32Array(this.mapping.buffer, this.mapping.byteOffset, nr);
  }

  /** Bytes of typed-array storage per frame (the bench's target is 32: docs/ARCHITECTURE.md, Speed). */
  static readonly BYTES_PER_FRAME = 8 * 4;

  test(pfn: number, bit: number): boolean {
    return ((this.flags[pfn]! >>> bit) & 1) === 1;
  }
  order(pfn: number): number {
    return (this.flags[pfn]! & ORDER_MASK) >>> ORDER_SHIFT;
  }
  /** Plain store of the order bits (prep_compound_page / buddy: the frame is not shared yet). */
  setOrder(pfn: number, order: number): void {
    this.flags[pfn] = (this.flags[pfn]! & ~ORDER_MASK) | (order << ORDER_SHIFT);
  }
  /** compound_head(): folios are naturally aligned, so the head is the aligned pfn. */
  head(pfn: number): number {
    const o = this.order(pfn);
    return o === 0 ? pfn : pfn & ~((1 << o) - 1);
  }
  isHead(pfn: number): boolean {
    return this.test(pfn, PG.head);
  }
  isTail(pfn: number): boolean {
    return this.test(pfn, PG.tail);
  }
  isLarge(head: number): boolean {
    return this.order(head) > 0;
  }
  nrPages(head: number): number {
    return 1 << this.order(head);
  }
  isFree(pfn: number): boolean {
    return this.test(pfn, PG.buddy);
  }
}
