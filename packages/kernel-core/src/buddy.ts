/**
 * The buddy allocator (mm/page_alloc.c at T612, one ZONE_NORMAL per node).
 *
 * Free blocks live in the frames themselves, as in the kernel: the first frame
 * of a free block of order k has PG.buddy and order bits k (PageBuddy,
 * buddy_order), and the free lists are doubly linked through its
 * lruNext/lruPrev (-1 ends a list). Every other frame of a free block has
 * no page flags (only its pageblock bits, see pageblock.ts). Counters
 * (nr_free per node/migratetype/order, free frames per node/migratetype) are
 * kept incrementally, so no operation scans memory beyond the block or
 * pageblock it touches. The pageblock migratetypes live in spare flag bits
 * of the frames, so the allocator adds no per-frame bytes: only a few
 * hundred bytes of list heads whatever the machine size.
 *
 * Freelist invariant (T612, since v6.10's freelist-type rework): a free block
 * sits on the list of its pageblock's migratetype, and a free order-10 block
 * spans two pageblocks of the same migratetype. Pageblock type changes move the
 * block's free pages with it (move_freepages_block); buddies of different
 * types merge above pageblock_order only when both are mergeable
 * (UNMOVABLE/MOVABLE/RECLAIMABLE), never CMA or ISOLATE with another type.
 *
 * Locking: each zone->lock acquisition is counted through the ledger as one
 * spin_lock_irqsave at the kernel function's site. Order-0 allocations are not
 * routed through per-cpu lists (no pcp lock modelled): every call takes the
 * zone lock once per zone it tries.
 */
import { MAX_ORDER, PAGEBLOCK_NR, PAGEBLOCK_ORDER, PG, type Frames } from './frames.js';
import { clearLargeFields } from './folio.js';
import { site, type Ledger } from './ledger.js';
import {
  PAGEBLOCK_FLAG_BITS,
  PB_ISOLATE,
  getPageblockTypeUnderIsolation,
  initPageblocks,
  getPageblockMigratetype,
  pageblockStartPfn,
  setPageblockMigratetypeFlag,
  type Pageblocks,
} from './pageblock.js';

export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
/** Also MIGRATE_PCPTYPES: the first three are the mergeable, fallback-eligible types. */
export const MIGRATE_CMA = 3;
export const MIGRATE_ISOLATE = PB_ISOLATE;
export const MIGRATE_TYPES = 5;
export const MIGRATE_PCPTYPES = 3;
/** migratetype_names[] as /proc/pagetypeinfo prints them. */
export const MIGRATETYPE_NAMES = ['Unmovable', 'Movable', 'Reclaimable', 'CMA', 'Isolate'] as const;

export const NR_PAGE_ORDERS = MAX_ORDER + 1;

/** fallbacks[] (T612): the order in which other types' free lists are raided. */
const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE], // UNMOVABLE
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE], // MOVABLE
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE], // RECLAIMABLE
];

const SITE_RMQUEUE = site('rmqueue');
const SITE_FREE_ONE_PAGE = site('free_one_page');
const SITE_SET_ISOLATE = site('set_migratetype_isolate');
const SITE_UNSET_ISOLATE = site('unset_migratetype_isolate');
const SITE_TEST_ISOLATED = site('test_pages_isolated');
const SITE_ISOLATE_FREEPAGES_BLOCK = site('isolate_freepages_block');
const SITE_ISOLATE_FREEPAGES_RANGE = site('isolate_freepages_range');
const SITE_TAKE_PAGE_OFF_BUDDY = site('take_page_off_buddy');

const ORDER_SHIFT = 24;
const ORDER_BITS = 0xf << ORDER_SHIFT;
const BUDDY_BIT = 1 << PG.buddy;
const HWPOISON_BIT = 1 << PG.hwpoison;
/** PAGE_FLAGS_CHECK_AT_FREE, reduced to the flags the model has. */
/** Flag bits a whole-word store keeps: the pageblock's, not the page's. */
const PB = PAGEBLOCK_FLAG_BITS;
const FLAGS_CHECK_AT_FREE = (1 << PG.lru) | (1 << PG.locked) | (1 << PG.reserved) | BUDDY_BIT;

export interface BuddyConfig {
  /** NUMA nodes; frames split evenly, each node a multiple of 1024 frames. */
  nodes: number;
  /** Frames of MIGRATE_CMA at the end of node 0 (multiple of pageblock_nr_pages). */
  cmaFrames: number;
}

export interface AllocOpts {
  /** __GFP_COMP: return one compound folio (head/tail flags, order on every frame). */
  comp?: boolean;
  /** Never raid another migratetype's free lists (__rmqueue_fallback skipped). */
  noFallback?: boolean;
  /** ALLOC_CMA for MOVABLE requests; default true. false models FOLL_LONGTERM / memalloc_pin. */
  cma?: boolean;
  /**
   * ALLOC_NOFRAGMENT: on the preferred node only whole pageblocks may be stolen;
   * before moving to a remote node the preferred node is retried without it.
   */
  noFragment?: boolean;
}

/** migratetype_is_mergeable(): only the pcp types merge with each other across pageblocks. */
function isMergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/** can_steal_fallback() at T612. */
export function canStealFallback(order: number, startMt: number): boolean {
  if (order >= PAGEBLOCK_ORDER) return true;
  return order >= PAGEBLOCK_ORDER >> 1 || startMt === MIGRATE_RECLAIMABLE || startMt === MIGRATE_UNMOVABLE;
}

export class Buddy {
  readonly frames: Frames;
  readonly ledger: Ledger;
  readonly nodes: number;
  readonly framesPerNode: number;
  /** [cmaStart, cmaEnd): the CMA area at the end of node 0 (empty when cmaFrames = 0). */
  readonly cmaStart: number;
  readonly cmaEnd: number;
  /** Pageblock migratetypes (kept in the frames' spare flag bits: pageblock.ts). */
  readonly pageblocks: Pageblocks;
  /** free_area[order].free_list[mt] heads, index (node * MIGRATE_TYPES + mt) * NR_PAGE_ORDERS + order. */
  private readonly freeHead: Int32Array;
  /** free_area[order].nr_free split by migratetype, same indexing. */
  private readonly nrFreeBlocks: Int32Array;
  /** Free frames per node and migratetype, index node * MIGRATE_TYPES + mt. */
  private readonly freeByNodeMt: Float64Array;
  private allocated = 0;
  private reserved = 0;
  /** mm_page_alloc_extfrag events, classified (traceExtfrag). */
  readonly extfrag = { events: 0, fragmenting: 0, severe: 0, moderate: 0, changedOwnership: 0 };
  private hwpoisoned = 0;

  constructor(frames: Frames, ledger: Ledger, cfg: BuddyConfig) {
    const { nodes, cmaFrames } = cfg;
    if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
    const fpn = frames.nr / nodes;
    const maxBlock = 1 << MAX_ORDER;
    if (!Number.isInteger(fpn) || fpn % maxBlock !== 0 || fpn === 0)
      throw new RangeError(`frames per node (${frames.nr}/${nodes}) must be a positive multiple of ${maxBlock}`);
    if (!Number.isInteger(cmaFrames) || cmaFrames < 0 || cmaFrames % PAGEBLOCK_NR !== 0 || cmaFrames > fpn - PAGEBLOCK_NR)
      throw new RangeError(`cmaFrames ${cmaFrames} must be a multiple of ${PAGEBLOCK_NR} leaving node 0's first pageblock`);
    this.frames = frames;
    this.ledger = ledger;
    this.nodes = nodes;
    this.framesPerNode = fpn;
    this.cmaEnd = fpn;
    this.cmaStart = fpn - cmaFrames;
    this.pageblocks = initPageblocks(frames.flags, frames.nr, MIGRATE_MOVABLE);
    for (let pfn = this.cmaStart; pfn < this.cmaEnd; pfn += PAGEBLOCK_NR) setPageblockMigratetypeFlag(this.pageblocks, pfn, MIGRATE_CMA);
    this.freeHead = new Int32Array(nodes * MIGRATE_TYPES * NR_PAGE_ORDERS).fill(-1);
    this.nrFreeBlocks = new Int32Array(nodes * MIGRATE_TYPES * NR_PAGE_ORDERS);
    this.freeByNodeMt = new Float64Array(nodes * MIGRATE_TYPES);
    this.bootFree();
  }

  /** memblock_free_all(): pfn 0 becomes the reserved zero page, the rest free in maximal aligned blocks. */
  private bootFree(): void {
    const f = this.frames;
    f.flags[0] = (f.flags[0]! & PB) | (1 << PG.reserved);
    f.refcount[0] = 1;
    f.mapcount[0] = 0;
    f.content[0] = 0;
    f.lruNext[0] = -1;
    f.lruPrev[0] = -1;
    this.reserved = 1;
    for (let nid = 0; nid < this.nodes; nid++) {
      const start = nid * this.framesPerNode;
      this.addFreeRange(nid === 0 ? 1 : start, start + this.framesPerNode);
    }
  }

  // ---------------------------------------------------------------- geometry

  nodeOf(pfn: number): number {
    // Every free-list operation asks: skip the division on one-node machines.
    return this.nodes === 1 ? 0 : (pfn / this.framesPerNode) | 0;
  }
  nodeStartPfn(nid: number): number {
    return nid * this.framesPerNode;
  }
  nodeEndPfn(nid: number): number {
    return (nid + 1) * this.framesPerNode;
  }
  pageblockMigratetype(pfn: number): number {
    return getPageblockMigratetype(this.pageblocks, pfn);
  }

  private listIndex(nid: number, mt: number, order: number): number {
    return (nid * MIGRATE_TYPES + mt) * NR_PAGE_ORDERS + order;
  }

  // ------------------------------------------------------------ free lists

  /** __add_to_free_list + set_buddy_order: pfn becomes the head of a free block. */
  private addToFreeList(pfn: number, order: number, mt: number): void {
    const f = this.frames;
    const nid = this.nodeOf(pfn);
    const li = this.listIndex(nid, mt, order);
    f.flags[pfn] = (f.flags[pfn]! & PB) | BUDDY_BIT | (order << ORDER_SHIFT);
    const head = this.freeHead[li]!;
    f.lruNext[pfn] = head;
    f.lruPrev[pfn] = -1;
    if (head >= 0) f.lruPrev[head] = pfn;
    this.freeHead[li] = pfn;
    this.nrFreeBlocks[li]!++;
    this.freeByNodeMt[nid * MIGRATE_TYPES + mt]! += 1 << order;
  }

  /** del_page_from_free_list: unlinks and clears PageBuddy and the order bits. */
  private delFromFreeList(pfn: number, order: number, mt: number): void {
    const f = this.frames;
    const nid = this.nodeOf(pfn);
    const li = this.listIndex(nid, mt, order);
    const next = f.lruNext[pfn]!;
    const prev = f.lruPrev[pfn]!;
    if (prev >= 0) f.lruNext[prev] = next;
    else this.freeHead[li] = next;
    if (next >= 0) f.lruPrev[next] = prev;
    f.lruNext[pfn] = -1;
    f.lruPrev[pfn] = -1;
    f.flags[pfn] = f.flags[pfn]! & PB;
    this.nrFreeBlocks[li]!--;
    this.freeByNodeMt[nid * MIGRATE_TYPES + mt]! -= 1 << order;
  }

  /** expand(): splits [pfn, pfn + 2^high) down to order low, freeing the upper halves. */
  private expand(pfn: number, low: number, high: number, mt: number): void {
    while (high > low) {
      high--;
      this.addToFreeList(pfn + (1 << high), high, mt);
    }
  }

  /**
   * Adds [start, end) to the free lists as maximal naturally aligned blocks,
   * without merging. Used at boot and for the leftovers of a split free block,
   * where the pieces cannot have free buddies of their own order.
   */
  private addFreeRange(start: number, end: number): void {
    let pfn = start;
    while (pfn < end) {
      let k = MAX_ORDER;
      while (k > 0 && ((pfn & ((1 << k) - 1)) !== 0 || pfn + (1 << k) > end)) k--;
      const mt = this.pageblockMigratetype(pfn);
      if (k > PAGEBLOCK_ORDER && this.pageblockMigratetype(pfn + PAGEBLOCK_NR) !== mt) k = PAGEBLOCK_ORDER;
      this.addToFreeList(pfn, k, mt);
      pfn += 1 << k;
    }
  }

  // ------------------------------------------------------------- allocation

  /**
   * alloc_pages_node(nid, gfp, order) reduced to the buddy path: the preferred
   * node first, then the other nodes in ascending distance (nid+1, nid+2, ...
   * wrapping). Returns the first pfn, prepared like prep_new_page, or -1.
   */
  allocPages(order: number, migratetype: number, nid: number, opts?: AllocOpts): number {
    if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) throw new RangeError(`bad order ${order}`);
    if (migratetype !== MIGRATE_UNMOVABLE && migratetype !== MIGRATE_MOVABLE && migratetype !== MIGRATE_RECLAIMABLE)
      throw new RangeError(`allocPages: migratetype ${migratetype} is not an allocation type`);
    if (!Number.isInteger(nid) || nid < 0 || nid >= this.nodes) throw new RangeError(`bad nid ${nid}`);
    const allowCma = migratetype === MIGRATE_MOVABLE && opts?.cma !== false;
    const noFallback = opts?.noFallback === true;
    const noFragment = opts?.noFragment === true && !noFallback;
    const need = 1 << order;
    const ledger = this.ledger;
    for (let i = 0; i < this.nodes; i++) {
      const node = (nid + i) % this.nodes;
      // zone_watermark_ok() stand-in: a zone without enough free frames is not locked.
      if (this.usableFree(node, allowCma) < need) continue;
      const minFallback = noFallback ? NR_PAGE_ORDERS : noFragment && i === 0 ? Math.max(order, PAGEBLOCK_ORDER) : order;
      ledger.spinLockIrqSave(SITE_RMQUEUE);
      let pfn = this.rmqueue(node, order, migratetype, allowCma, minFallback);
      ledger.spinUnlockIrqRestore();
      if (pfn < 0 && i === 0 && noFragment && minFallback > order) {
        // get_page_from_freelist: "retry but allow fragmenting fallbacks" before going remote.
        ledger.spinLockIrqSave(SITE_RMQUEUE);
        pfn = this.rmqueueFallback(node, order, migratetype, order);
        ledger.spinUnlockIrqRestore();
      }
      if (pfn >= 0) {
        this.prepNewPage(pfn, order, opts?.comp === true);
        return pfn;
      }
    }
    return -1;
  }

  private usableFree(nid: number, allowCma: boolean): number {
    const b = nid * MIGRATE_TYPES;
    const fm = this.freeByNodeMt;
    return fm[b + MIGRATE_UNMOVABLE]! + fm[b + MIGRATE_MOVABLE]! + fm[b + MIGRATE_RECLAIMABLE]! + (allowCma ? fm[b + MIGRATE_CMA]! : 0);
  }

  /**
   * __rmqueue() at T612. Caller holds the zone lock. CMA balancing: a movable
   * request takes CMA first when more than half the zone's free pages are CMA.
   */
  private rmqueue(nid: number, order: number, mt: number, allowCma: boolean, minFallbackOrder: number): number {
    let pfn = -1;
    if (allowCma && this.freeByNodeMt[nid * MIGRATE_TYPES + MIGRATE_CMA]! > this.freeFrames(nid) / 2) {
      pfn = this.rmqueueSmallest(nid, order, MIGRATE_CMA);
      if (pfn >= 0) return pfn;
    }
    pfn = this.rmqueueSmallest(nid, order, mt);
    if (pfn < 0 && allowCma) pfn = this.rmqueueSmallest(nid, order, MIGRATE_CMA);
    if (pfn < 0 && minFallbackOrder <= MAX_ORDER) pfn = this.rmqueueFallback(nid, order, mt, minFallbackOrder);
    return pfn;
  }

  /** __rmqueue_smallest(): the smallest free block of exactly this migratetype, split down by expand(). */
  private rmqueueSmallest(nid: number, order: number, mt: number): number {
    for (let o = order; o <= MAX_ORDER; o++) {
      const pfn = this.freeHead[this.listIndex(nid, mt, o)]!;
      if (pfn < 0) continue;
      this.delFromFreeList(pfn, o, mt);
      this.expand(pfn, order, o, mt);
      return pfn;
    }
    return -1;
  }

  /** find_suitable_fallback(..., only_stealable = false): first fallbacks[] type with a block of this order. */
  private findSuitableFallback(nid: number, order: number, startMt: number): number {
    const fb = FALLBACKS[startMt]!;
    for (let i = 0; i < fb.length; i++) {
      const fmt = fb[i]!;
      if (this.freeHead[this.listIndex(nid, fmt, order)]! >= 0) return fmt;
    }
    return -1;
  }

  /**
   * __rmqueue_fallback() at T612: the largest block of a fallback type
   * ("roughly the pageblock with the most free pages"), except that a movable
   * request which may not claim the block takes the smallest instead.
   */
  private rmqueueFallback(nid: number, order: number, startMt: number, minOrder: number): number {
    for (let o = MAX_ORDER; o >= minOrder; o--) {
      let fmt = this.findSuitableFallback(nid, o, startMt);
      if (fmt < 0) continue;
      let current = o;
      let canSteal = canStealFallback(o, startMt);
      if (!canSteal && startMt === MIGRATE_MOVABLE && o > order) {
        for (current = order; current <= MAX_ORDER; current++) {
          fmt = this.findSuitableFallback(nid, current, startMt);
          if (fmt >= 0) break;
        }
        canSteal = canStealFallback(current, startMt);
      }
      const pfn = this.freeHead[this.listIndex(nid, fmt, current)]!;
      const got = this.stealSuitableFallback(nid, pfn, current, order, startMt, canSteal);
      if (got >= 0) this.traceExtfrag(got, current, startMt);
      return got;
    }
    return -1;
  }

  /**
   * trace_mm_page_alloc_extfrag at the end of __rmqueue_fallback, tallied as
   * Mel Gorman's trace-pagealloc-postprocess.pl does: an event is
   * fragmenting when the fallback order is below pageblock_order (the
   * tracepoint's own test), severe when that order is 3 or less, moderate
   * otherwise; change_ownership when the pageblock now has the allocation's
   * migratetype.
   */
  private traceExtfrag(pfn: number, fallbackOrder: number, allocMt: number): void {
    const x = this.extfrag;
    x.events++;
    if (fallbackOrder < PAGEBLOCK_ORDER) {
      x.fragmenting++;
      if (fallbackOrder <= 3) x.severe++;
      else x.moderate++;
    }
    if (this.pageblockMigratetype(pfn) === allocMt) x.changedOwnership++;
  }

  /**
   * steal_suitable_fallback() at T612. A block of pageblock_order or more is
   * taken over whole. Otherwise, when allowed, the pageblock is claimed if its
   * free plus "alike" pages reach half of it (alike: LRU/movable_ops pages for
   * a movable request; for unmovable/reclaimable stealing from a movable block,
   * everything neither free nor movable); its free pages move with it.
   * Otherwise one block is split off and the rest stays on the old type.
   */
  private stealSuitableFallback(nid: number, pfn: number, current: number, order: number, startMt: number, wholeBlock: boolean): number {
    const blockType = this.pageblockMigratetype(pfn);
    if (current >= PAGEBLOCK_ORDER) {
      this.delFromFreeList(pfn, current, blockType);
      this.changePageblockRange(pfn, current, startMt);
      this.expand(pfn, order, current, startMt);
      return pfn;
    }
    if (wholeBlock) {
      const start = pageblockStartPfn(pfn);
      const freePages = this.pageblockFreeFrames(start);
      const movablePages = this.pageblockMovableFrames(start);
      let alike: number;
      if (startMt === MIGRATE_MOVABLE) alike = movablePages;
      else alike = blockType === MIGRATE_MOVABLE ? PAGEBLOCK_NR - (freePages + movablePages) : 0;
      if (freePages + alike >= PAGEBLOCK_NR >> 1) {
        this.movePageblockFreePages(start, blockType, startMt);
        setPageblockMigratetypeFlag(this.pageblocks, start, startMt);
        return this.rmqueueSmallest(nid, order, startMt);
      }
    }
    this.delFromFreeList(pfn, current, blockType);
    this.expand(pfn, order, current, blockType);
    return pfn;
  }

  /** change_pageblock_range(). */
  private changePageblockRange(pfn: number, order: number, mt: number): void {
    const n = order >= PAGEBLOCK_ORDER ? 1 << (order - PAGEBLOCK_ORDER) : 1;
    for (let i = 0; i < n; i++) setPageblockMigratetypeFlag(this.pageblocks, pfn + i * PAGEBLOCK_NR, mt);
  }

  /**
   * prep_new_page(): the block leaves the allocator. comp: one folio, head
   * refcount 1, order bits on every frame (prep_compound_page). !comp: every
   * frame an independent order-0 page with refcount 1 (split_page()).
   */
  private prepNewPage(pfn: number, order: number, comp: boolean): void {
    const f = this.frames;
    const n = 1 << order;
    const end = pfn + n;
    const compound = comp && order > 0;
    this.allocated += n;
    if (n === 1) {
      f.flags[pfn] = f.flags[pfn]! & PB;
      f.mapcount[pfn] = f.content[pfn] = f.mapping[pfn] = f.index[pfn] = 0;
      f.refcount[pfn] = 1;
      f.lruNext[pfn] = f.lruPrev[pfn] = -1;
      return;
    }
    // Typed-array fills (memset-like) rather than a store per field per frame: a THP is 512 frames.
    // (flags one by one: a pageblock's own bits in them stay.)
    const fl = compound ? (1 << PG.tail) | (order << ORDER_SHIFT) : 0;
    for (let p = pfn; p < end; p++) f.flags[p] = (f.flags[p]! & PB) | fl;
    if (compound) {
      f.flags[pfn] = (f.flags[pfn]! & PB) | (1 << PG.head) | (order << ORDER_SHIFT);
      f.refcount.fill(0, pfn, end);
      f.refcount[pfn] = 1;
    } else f.refcount.fill(1, pfn, end);
    f.mapcount.fill(0, pfn, end);
    f.content.fill(0, pfn, end);
    f.lruNext.fill(-1, pfn, end);
    f.lruPrev.fill(-1, pfn, end);
    f.mapping.fill(0, pfn, end);
    f.index.fill(0, pfn, end);
    if (compound && order >= 2) clearLargeFields(f, pfn);
  }

  // ------------------------------------------------------------------ free

  /**
   * __free_pages(): returns [pfn, pfn + 2^order) to the allocator. Every frame
   * must have refcount 0 and mapcount 0 and not be on the LRU or locked
   * (free_pages_check; violations throw as bad_page). Poisoned frames are kept
   * out of the free lists and counted; the rest of the block is still freed.
   */
  freePages(pfn: number, order: number): void {
    const f = this.frames;
    if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) throw new RangeError(`bad order ${order}`);
    const n = 1 << order;
    if (!Number.isInteger(pfn) || pfn < 0 || (pfn & (n - 1)) !== 0 || pfn + n > f.nr)
      throw new RangeError(`freePages: pfn ${pfn} is not an order-${order} block`);
    let poisoned = false;
    for (let i = 0; i < n; i++) {
      const p = pfn + i;
      const fl = f.flags[p]!;
      if ((fl & FLAGS_CHECK_AT_FREE) !== 0 || f.refcount[p] !== 0 || f.mapcount[p] !== 0) this.badPage(p, pfn, order);
      if ((fl >>> PG.hwpoison) & 1) poisoned = true;
    }
    this.allocated -= n;
    this.ledger.spinLockIrqSave(SITE_FREE_ONE_PAGE);
    if (poisoned) this.freeAroundPoison(pfn, order);
    else {
      for (let i = 0; i < n; i++) this.clearFreedFrame(pfn + i);
      this.freeOnePage(pfn, order);
    }
    this.ledger.spinUnlockIrqRestore();
  }

  /**
   * free_unref_folios' view of a user folio whose last reference is gone
   * (Kernel.freeFolio): free_pages_prepare and __free_pages in one pass per
   * frame. Every struct-page field is written once, to what the separate
   * steps (clear the folio, check it, clear it again for the allocator)
   * left: no flags but the pageblock's, no links, no owner, zero counts and
   * content. There is nothing to check: the caller holds the last reference
   * and owns every flag. A frame that carries PG_hwpoison keeps it and goes
   * out of service (freeAroundPoison), the rest of the folio is freed. One
   * zone lock, as __free_pages.
   */
  freeFolioFrames(head: number, order: number): void {
    const f = this.frames;
    const n = 1 << order;
    const fl = f.flags;
    let poisoned = 0;
    if (n === 1) {
      const v = fl[head]!;
      poisoned = v & HWPOISON_BIT;
      fl[head] = v & (PB | HWPOISON_BIT);
      f.mapcount[head] = f.content[head] = f.mapping[head] = f.index[head] = f.refcount[head] = 0;
      f.lruNext[head] = f.lruPrev[head] = -1;
    } else {
      const end = head + n;
      for (let p = head; p < end; p++) {
        const v = fl[p]!;
        poisoned |= v & HWPOISON_BIT;
        fl[p] = v & (PB | HWPOISON_BIT);
      }
      f.mapcount.fill(0, head, end);
      f.content.fill(0, head, end);
      f.mapping.fill(0, head, end);
      f.index.fill(0, head, end);
      f.refcount.fill(0, head, end);
      f.lruNext.fill(-1, head, end);
      f.lruPrev.fill(-1, head, end);
    }
    this.allocated -= n;
    this.ledger.spinLockIrqSave(SITE_FREE_ONE_PAGE);
    if (poisoned !== 0) this.freeAroundPoison(head, order);
    else this.freeOnePage(head, order);
    this.ledger.spinUnlockIrqRestore();
  }

  /** bad_page(): a frame freed while still in use is a model bug, reported with its state. */
  private badPage(p: number, pfn: number, order: number): never {
    const f = this.frames;
    throw new Error(
      `bad_page: freeing pfn ${p} (block ${pfn} order ${order}) with flags 0x${f.flags[p]!.toString(16)} refcount ${f.refcount[p]} mapcount ${f.mapcount[p]}`,
    );
  }

  /** free_pages_prepare(): the frame keeps no flags, links or owner. */
  private clearFreedFrame(p: number): void {
    const f = this.frames;
    f.flags[p] = f.flags[p]! & PB;
    f.lruNext[p] = -1;
    f.lruPrev[p] = -1;
    f.mapping[p] = 0;
    f.index[p] = 0;
  }

  /** Frees the unpoisoned parts of a block in maximal aligned pieces; poisoned frames go out of service. */
  private freeAroundPoison(pfn: number, order: number): void {
    const f = this.frames;
    const n = 1 << order;
    let any = false;
    for (let i = 0; i < n && !any; i++) if (f.test(pfn + i, PG.hwpoison)) any = true;
    if (!any) {
      for (let i = 0; i < n; i++) this.clearFreedFrame(pfn + i);
      this.freeOnePage(pfn, order);
    } else if (order === 0) {
      this.clearFreedFrame(pfn);
      f.flags[pfn] = (f.flags[pfn]! & PB) | (1 << PG.hwpoison);
      this.hwpoisoned++;
    } else {
      this.freeAroundPoison(pfn, order - 1);
      this.freeAroundPoison(pfn + (n >> 1), order - 1);
    }
  }

  /** free_one_page() → split_large_buddy(): blocks above pageblock_order are freed per pageblock. */
  private freeOnePage(pfn: number, order: number): void {
    if (order > PAGEBLOCK_ORDER) {
      const end = pfn + (1 << order);
      for (let p = pfn; p < end; p += PAGEBLOCK_NR) this.__freeOnePage(p, PAGEBLOCK_ORDER, this.pageblockMigratetype(p));
    } else this.__freeOnePage(pfn, order, this.pageblockMigratetype(pfn));
  }

  /**
   * __free_one_page(): merge with free buddies of equal order and put the
   * result on the free list of `mt`. Caller holds the zone lock; frames are clean.
   */
  private __freeOnePage(pfn: number, order: number, mt: number): void {
    const f = this.frames;
    while (order < MAX_ORDER) {
      const buddy = pfn ^ (1 << order);
      // page_is_buddy(): a free block head of the same order (PageBuddy and the order in one flags read).
      if (buddy >= f.nr || (f.flags[buddy]! & (BUDDY_BIT | ORDER_BITS)) !== (BUDDY_BIT | (order << ORDER_SHIFT))) break;
      let buddyMt = mt;
      if (order >= PAGEBLOCK_ORDER) {
        buddyMt = this.pageblockMigratetype(buddy);
        if (buddyMt !== mt && (!isMergeable(mt) || !isMergeable(buddyMt))) break;
      }
      this.delFromFreeList(buddy, order, buddyMt);
      if (buddyMt !== mt) setPageblockMigratetypeFlag(this.pageblocks, buddy, mt);
      pfn &= buddy;
      order++;
    }
    this.addToFreeList(pfn, order, mt);
  }

  // --------------------------------------------------- free-block queries

  /** PageBuddy(): pfn is the first frame of a free block (its order: frames.order(pfn)). */
  isFreeBlockHead(pfn: number): boolean {
    return (this.frames.flags[pfn]! & BUDDY_BIT) !== 0;
  }

  /** The head of the free block containing pfn, or -1 (walks down aligned candidates, O(MAX_ORDER)). */
  freeBlockContaining(pfn: number): number {
    const f = this.frames;
    for (let k = 0; k <= MAX_ORDER; k++) {
      const cand = pfn & ~((1 << k) - 1);
      if ((f.flags[cand]! & BUDDY_BIT) !== 0 && f.order(cand) === k) return cand;
    }
    return -1;
  }

  /** is_free_buddy_page(). */
  isFreePage(pfn: number): boolean {
    return this.freeBlockContaining(pfn) >= 0;
  }

  /** Free frames in the pageblock holding pfn (walks the block, skipping by buddy order). */
  pageblockFreeFrames(pfn: number): number {
    const f = this.frames;
    const start = pageblockStartPfn(pfn);
    const end = start + PAGEBLOCK_NR;
    const h = this.freeBlockContaining(start);
    if (h >= 0 && h + (1 << f.order(h)) >= end) return PAGEBLOCK_NR;
    let free = 0;
    for (let p = start; p < end;) {
      if ((f.flags[p]! & BUDDY_BIT) !== 0) {
        const n = 1 << f.order(p);
        free += n;
        p += n;
      } else p++;
    }
    return free;
  }

  /** prep_move_freepages_block()'s movable_pages: allocated frames whose folio is on the LRU or has movable_ops. */
  private pageblockMovableFrames(start: number): number {
    const f = this.frames;
    const end = start + PAGEBLOCK_NR;
    const movable = (1 << PG.lru) | (1 << PG.movable_ops);
    let n = 0;
    for (let p = start; p < end;) {
      const fl = f.flags[p]!;
      if ((fl & BUDDY_BIT) !== 0) {
        p += 1 << f.order(p);
        continue;
      }
      if ((f.flags[f.head(p)]! & movable) !== 0) n++;
      p++;
    }
    return n;
  }

  /** Splits a free order > pageblock_order block covering the pageblock at `start` into pageblocks. */
  private splitFreeBlockAbovePageblock(start: number): void {
    const f = this.frames;
    const h = start & ~((1 << MAX_ORDER) - 1);
    if ((f.flags[h]! & BUDDY_BIT) === 0 || f.order(h) !== MAX_ORDER) return;
    const mt = this.pageblockMigratetype(h);
    this.delFromFreeList(h, MAX_ORDER, mt);
    this.expand(h, PAGEBLOCK_ORDER, MAX_ORDER, mt);
    this.addToFreeList(h, PAGEBLOCK_ORDER, mt);
  }

  /** __move_freepages_block(): every free block inside the pageblock moves from list `from` to list `to`. */
  private movePageblockFreePages(start: number, from: number, to: number): void {
    const f = this.frames;
    const end = start + PAGEBLOCK_NR;
    for (let p = start; p < end;) {
      if ((f.flags[p]! & BUDDY_BIT) !== 0) {
        const o = f.order(p);
        this.delFromFreeList(p, o, from);
        this.addToFreeList(p, o, to);
        p += 1 << o;
      } else p++;
    }
  }

  /**
   * set_pageblock_migratetype() plus move_freepages_block(): the pageblock's
   * free pages follow it to the new list. Caller accounts the zone lock.
   */
  setPageblockMigratetype(pfn: number, mt: number): void {
    if (!Number.isInteger(mt) || mt < 0 || mt >= MIGRATE_TYPES) throw new RangeError(`bad migratetype ${mt}`);
    const start = pageblockStartPfn(pfn);
    const old = this.pageblockMigratetype(start);
    if (old === mt) return;
    this.splitFreeBlockAbovePageblock(start);
    this.movePageblockFreePages(start, old, mt);
    setPageblockMigratetypeFlag(this.pageblocks, start, mt);
  }

  // ------------------------------------- compaction free scanner / memory failure

  /**
   * Removes order-0 frame pfn from the allocator if it is free, splitting the
   * free block that holds it (the rest stays free), and preps it as an order-0
   * page with refcount 1. Counts one zone lock at isolate_freepages_block
   * unless the caller already holds it (opts.locked).
   */
  takeFreePage(pfn: number, opts?: { locked?: boolean }): boolean {
    const h = this.freeBlockContaining(pfn);
    if (h < 0) return false;
    const locked = opts?.locked === true;
    if (!locked) this.ledger.spinLockIrqSave(SITE_ISOLATE_FREEPAGES_BLOCK);
    this.splitOut(h, pfn);
    if (!locked) this.ledger.spinUnlockIrqRestore();
    this.prepNewPage(pfn, 0, false);
    return true;
  }

  /** Unlinks the free block at h and frees everything in it except order-0 frame pfn. */
  private splitOut(h: number, pfn: number): void {
    let o = this.frames.order(h);
    this.delFromFreeList(h, o, this.pageblockMigratetype(h));
    while (o > 0) {
      o--;
      const half = 1 << o;
      if (pfn < h + half) this.addToFreeList(h + half, o, this.pageblockMigratetype(h + half));
      else {
        this.addToFreeList(h, o, this.pageblockMigratetype(h));
        h += half;
      }
    }
  }

  /**
   * __isolate_free_page() as the compaction free scanner uses it: takes the
   * whole free block headed at pfn. Returns its order, or -1 if pfn is not a
   * free block head. comp: one compound folio; else independent order-0 pages.
   */
  takeFreeBlock(pfn: number, opts?: { comp?: boolean; locked?: boolean }): number {
    if (!this.isFreeBlockHead(pfn)) return -1;
    const locked = opts?.locked === true;
    if (!locked) this.ledger.spinLockIrqSave(SITE_ISOLATE_FREEPAGES_BLOCK);
    const o = this.frames.order(pfn);
    this.delFromFreeList(pfn, o, this.pageblockMigratetype(pfn));
    if (!locked) this.ledger.spinUnlockIrqRestore();
    this.prepNewPage(pfn, o, opts?.comp === true);
    return o;
  }

  /** take_page_off_buddy(): memory_failure() on a free frame takes it out of service as hwpoisoned. */
  takePageOffBuddy(pfn: number): boolean {
    const h = this.freeBlockContaining(pfn);
    if (h < 0) return false;
    this.ledger.spinLockIrqSave(SITE_TAKE_PAGE_OFF_BUDDY);
    this.splitOut(h, pfn);
    this.ledger.spinUnlockIrqRestore();
    this.clearFreedFrame(pfn);
    this.frames.refcount[pfn] = 0;
    this.frames.flags[pfn] = (this.frames.flags[pfn]! & PB) | (1 << PG.hwpoison);
    this.hwpoisoned++;
    return true;
  }

  // ------------------------------------------------- alloc_contig_range side

  /**
   * start_isolate_page_range(): marks the pageblocks covering [startPfn, endPfn)
   * MIGRATE_ISOLATE, moving their free pages to the isolate list, and remembers
   * each block's old type. Fails (undoing its own work) if a block is already
   * isolated, as set_migratetype_isolate returns -EBUSY. has_unmovable_pages()
   * is not checked: unmovable pages make the later migration fail instead.
   */
  startIsolateRange(startPfn: number, endPfn: number): boolean {
    const first = pageblockStartPfn(startPfn);
    for (let pb = first; pb < endPfn; pb += PAGEBLOCK_NR) {
      if (this.pageblockMigratetype(pb) === MIGRATE_ISOLATE) {
        if (pb > first) this.undoIsolateRange(first, pb);
        return false;
      }
      this.ledger.spinLockIrqSave(SITE_SET_ISOLATE);
      this.setPageblockMigratetype(pb, MIGRATE_ISOLATE);
      this.ledger.spinUnlockIrqRestore();
    }
    return true;
  }

  /**
   * undo_isolate_page_range(): isolated pageblocks get their old type back with
   * their free pages; a wholly free pageblock is re-freed so it merges with its
   * buddy pageblock (unset_migratetype_isolate).
   */
  undoIsolateRange(startPfn: number, endPfn: number): void {
    const f = this.frames;
    for (let pb = pageblockStartPfn(startPfn); pb < endPfn; pb += PAGEBLOCK_NR) {
      if (this.pageblockMigratetype(pb) !== MIGRATE_ISOLATE) continue;
      this.ledger.spinLockIrqSave(SITE_UNSET_ISOLATE);
      const mt = getPageblockTypeUnderIsolation(this.pageblocks, pb);
      this.setPageblockMigratetype(pb, mt);
      if ((f.flags[pb]! & BUDDY_BIT) !== 0 && f.order(pb) === PAGEBLOCK_ORDER) {
        this.delFromFreeList(pb, PAGEBLOCK_ORDER, mt);
        this.__freeOnePage(pb, PAGEBLOCK_ORDER, mt);
      }
      this.ledger.spinUnlockIrqRestore();
    }
  }

  /** test_pages_isolated(): every pageblock isolated and every frame of [startPfn, endPfn) free. */
  testPagesIsolated(startPfn: number, endPfn: number): boolean {
    this.ledger.spinLockIrqSave(SITE_TEST_ISOLATED);
    const ok = this.rangeIsolatedAndFree(startPfn, endPfn);
    this.ledger.spinUnlockIrqRestore();
    return ok;
  }

  private rangeIsolatedAndFree(startPfn: number, endPfn: number): boolean {
    for (let pb = pageblockStartPfn(startPfn); pb < endPfn; pb += PAGEBLOCK_NR) if (this.pageblockMigratetype(pb) !== MIGRATE_ISOLATE) return false;
    for (let p = startPfn; p < endPfn;) {
      const h = this.freeBlockContaining(p);
      if (h < 0) return false;
      p = h + (1 << this.frames.order(h));
    }
    return true;
  }

  /**
   * isolate_freepages_range() for alloc_contig_range(): takes every frame of
   * [startPfn, endPfn) out of the allocator as an independent order-0 page with
   * refcount 1; free frames of straddling blocks outside the range stay free.
   * Returns false (taking nothing) unless the range is isolated and all free.
   * One zone lock per pageblock.
   */
  takeIsolatedRange(startPfn: number, endPfn: number): boolean {
    if (!this.rangeIsolatedAndFree(startPfn, endPfn)) return false;
    const f = this.frames;
    for (let pb = pageblockStartPfn(startPfn); pb < endPfn; pb += PAGEBLOCK_NR) {
      this.ledger.spinLockIrqSave(SITE_ISOLATE_FREEPAGES_RANGE);
      this.ledger.spinUnlockIrqRestore();
    }
    for (let p = startPfn; p < endPfn;) {
      const h = this.freeBlockContaining(p);
      const o = f.order(h);
      const blockEnd = h + (1 << o);
      this.delFromFreeList(h, o, this.pageblockMigratetype(h));
      const s = Math.max(h, startPfn);
      const e = Math.min(blockEnd, endPfn);
      if (h < s) this.addFreeRange(h, s);
      if (e < blockEnd) this.addFreeRange(e, blockEnd);
      for (let q = s; q < e; q++) this.prepNewPage(q, 0, false);
      p = e;
    }
    return true;
  }

  /** First pfn of [startPfn, endPfn) that is not free, or -1 (alloc_contig_pages' pfn_range_valid_contig helper). */
  firstNonFree(startPfn: number, endPfn: number): number {
    for (let p = startPfn; p < endPfn;) {
      const h = this.freeBlockContaining(p);
      if (h < 0) return p;
      p = h + (1 << this.frames.order(h));
    }
    return -1;
  }

  // -------------------------------------------------------------- counters

  /** NR_FREE_PAGES: free frames not isolated (CMA included), one node or all. */
  freeFrames(nid?: number): number {
    if (nid !== undefined) {
      const b = nid * MIGRATE_TYPES;
      const fm = this.freeByNodeMt;
      return fm[b]! + fm[b + 1]! + fm[b + 2]! + fm[b + 3]!;
    }
    let n = 0;
    for (let i = 0; i < this.nodes; i++) n += this.freeFrames(i);
    return n;
  }

  /** Free frames on one migratetype's lists (NR_FREE_CMA_PAGES for MIGRATE_CMA), one node or all. */
  freeFramesOfType(mt: number, nid?: number): number {
    if (nid !== undefined) return this.freeByNodeMt[nid * MIGRATE_TYPES + mt]!;
    let n = 0;
    for (let i = 0; i < this.nodes; i++) n += this.freeByNodeMt[i * MIGRATE_TYPES + mt]!;
    return n;
  }

  /** free_area[order].nr_free for one node and migratetype. */
  nrFree(nid: number, mt: number, order: number): number {
    return this.nrFreeBlocks[this.listIndex(nid, mt, order)]!;
  }

  /** Frames handed out and not yet freed (the zero page is not counted). */
  get allocatedFrames(): number {
    return this.allocated;
  }
  get reservedFrames(): number {
    return this.reserved;
  }
  /** Frames taken out of service by hardware poison. */
  get hwpoisonedFrames(): number {
    return this.hwpoisoned;
  }

  /** /proc/pagetypeinfo: [node][migratetype][order] = free blocks. */
  buddyinfo(): number[][][] {
    const out: number[][][] = [];
    for (let nid = 0; nid < this.nodes; nid++) {
      const perMt: number[][] = [];
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const row: number[] = [];
        for (let o = 0; o <= MAX_ORDER; o++) row.push(this.nrFree(nid, mt, o));
        perMt.push(row);
      }
      out.push(perMt);
    }
    return out;
  }

  /** Free, non-isolated frames sitting in blocks of at least `order` (one node or all). */
  freeUsableForOrder(order: number, nid?: number): number {
    let n = 0;
    const lo = nid ?? 0;
    const hi = nid === undefined ? this.nodes : nid + 1;
    for (let node = lo; node < hi; node++)
      for (let mt = 0; mt < MIGRATE_ISOLATE; mt++) for (let o = Math.max(order, 0); o <= MAX_ORDER; o++) n += this.nrFree(node, mt, o) * (1 << o);
    return n;
  }

  /**
   * The unusable free space index (Mel Gorman's): the share of free memory in
   * blocks too small for `order`. 0 when nothing is free.
   */
  fragmentationScore(order = PAGEBLOCK_ORDER, nid?: number): number {
    const free = this.freeFrames(nid);
    if (free === 0) return 0;
    return (free - this.freeUsableForOrder(order, nid)) / free;
  }

  // ----------------------------------------------------------- invariants

  /**
   * Walks every list and every frame (test/invariant time only). Returns the
   * violations found, human-readable; empty means consistent.
   */
  checkConsistency(): string[] {
    const out: string[] = [];
    const f = this.frames;
    const nr = f.nr;
    const onList = new Uint8Array(nr);
    const say = (m: string) => {
      if (out.length < 50) out.push(m);
    };
    const listFree = new Float64Array(this.nodes * MIGRATE_TYPES);
    // 1. the lists
    for (let nid = 0; nid < this.nodes; nid++)
      for (let mt = 0; mt < MIGRATE_TYPES; mt++)
        for (let o = 0; o <= MAX_ORDER; o++) {
          const li = this.listIndex(nid, mt, o);
          const want = this.nrFreeBlocks[li]!;
          let count = 0;
          let prev = -1;
          for (let p = this.freeHead[li]!; p >= 0; p = f.lruNext[p]!) {
            const where = `free_list[node ${nid}][${MIGRATETYPE_NAMES[mt]}][order ${o}] pfn ${p}`;
            if (p >= nr) {
              say(`${where}: pfn out of range`);
              break;
            }
            if (onList[p]) {
              say(`${where}: on a free list twice (cycle or cross-link)`);
              break;
            }
            onList[p] = 1;
            if (++count > want + 1) break;
            if (f.lruPrev[p] !== prev) say(`${where}: lruPrev ${f.lruPrev[p]} != ${prev}`);
            if (!this.isFreeBlockHead(p)) say(`${where}: listed without PageBuddy`);
            if (f.order(p) !== o) say(`${where}: buddy_order ${f.order(p)}`);
            if ((p & ((1 << o) - 1)) !== 0) say(`${where}: not aligned to its order`);
            if (this.nodeOf(p) !== nid) say(`${where}: belongs to node ${this.nodeOf(p)}`);
            if (this.pageblockMigratetype(p) !== mt) say(`${where}: pageblock is ${MIGRATETYPE_NAMES[this.pageblockMigratetype(p)] ?? '?'}`);
            if (o > PAGEBLOCK_ORDER && this.pageblockMigratetype(p + PAGEBLOCK_NR) !== mt)
              say(`${where}: order-${o} block spans pageblocks of different types`);
            prev = p;
          }
          if (count !== want) say(`free_list[node ${nid}][${MIGRATETYPE_NAMES[mt]}][order ${o}]: ${count} blocks, nr_free says ${want}`);
          listFree[nid * MIGRATE_TYPES + mt]! += count * (1 << o);
        }
    for (let i = 0; i < listFree.length; i++)
      if (listFree[i] !== this.freeByNodeMt[i])
        say(`node ${(i / MIGRATE_TYPES) | 0} ${MIGRATETYPE_NAMES[i % MIGRATE_TYPES]}: lists hold ${listFree[i]} frames, counter says ${this.freeByNodeMt[i]}`);
    // 2. the frames
    let freeWalk = 0;
    let poisonedFree = 0;
    for (let p = 0; p < nr;) {
      const fl = f.flags[p]!;
      if ((fl & BUDDY_BIT) === 0) {
        if (p === 0 && (fl & (1 << PG.reserved)) === 0) say('pfn 0 (zero page) lost PG_reserved');
        p++;
        continue;
      }
      const o = f.order(p);
      const n = 1 << o;
      if (!onList[p]) say(`free block pfn ${p} order ${o} is on no free list`);
      if ((fl & ~PB) !== (BUDDY_BIT | (o << ORDER_SHIFT))) say(`free block head ${p} has flags 0x${fl.toString(16)}`);
      if ((p & (n - 1)) !== 0) say(`free block ${p} order ${o} misaligned`);
      if (p + n > this.nodeEndPfn(this.nodeOf(p))) say(`free block ${p} order ${o} crosses its node's end`);
      for (let i = 0; i < n && p + i < nr; i++) {
        const q = p + i;
        if (i > 0 && (f.flags[q]! & ~PB) !== 0) {
          say(`pfn ${q} inside free block ${p} order ${o} has flags 0x${f.flags[q]!.toString(16)} (overlap or stale)`);
          if ((f.flags[q]! & (1 << PG.hwpoison)) !== 0) poisonedFree++;
        }
        if (f.refcount[q] !== 0) say(`free pfn ${q} has refcount ${f.refcount[q]}`);
        if (f.mapcount[q] !== 0) say(`free pfn ${q} has mapcount ${f.mapcount[q]}`);
        if (f.mapping[q] !== 0) say(`free pfn ${q} has mapping ${f.mapping[q]}`);
      }
      freeWalk += n;
      p += n;
    }
    let listed = 0;
    for (let i = 0; i < listFree.length; i++) listed += listFree[i]!;
    if (freeWalk !== listed) say(`frames walk finds ${freeWalk} free frames, lists hold ${listed}`);
    if (poisonedFree > 0) say(`${poisonedFree} hwpoisoned frames sit in free blocks`);
    const inUse = this.allocated + this.reserved + this.hwpoisoned;
    if (freeWalk + inUse !== nr)
      say(`free ${freeWalk} + allocated ${this.allocated} + reserved ${this.reserved} + hwpoisoned ${this.hwpoisoned} != ${nr} frames`);
    return out;
  }
}
