/**
 * owner-handlers [DM]: Minchan Kim's "Pin page control subsystem" (RFC 0/3,
 * linux-mm, August 2013, in reply to Kozlowski's zbud reclaim). A kernel
 * user that keeps pages pinned registers each one with its owner,
 * set_pinned_page(page, owner); compaction, alloc_contig_range (CMA) and
 * memory offlining that meet a PagePinned page look the owner up and call
 * its migrate handler, which copies the page and repoints the owner's own
 * reference. The RFC was never merged; what was (v4.8, movable-ops) hangs
 * the callbacks off page->mapping instead.
 *
 * What Benjamin LaHaise objected to is modelled as the mechanism, so it is
 * measured rather than assumed:
 *   - one global hash (PinPageTable), 2^hashBits buckets, keyed by
 *     hash_ptr(struct page *) with include/linux/hash.h's multiplier
 *     (`hash`: the GOLDEN_RATIO_PRIME_64 of 2013 or v4.7's GOLDEN_RATIO_64):
 *     chains and collisions are whatever that hash makes of the pages;
 *   - one global spinlock (site `pinpage_lock`) around every register,
 *     unregister and lookup;
 *   - no NUMA awareness: the handler allocates the new page with a plain
 *     alloc_page(), i.e. the first free page of the allocator's zonelist
 *     from node 0 (the node of the CPU the model runs compaction on), not
 *     the source page's node; every crossing is counted;
 *   - `coverGup` (his question whether *all* pinners must subscribe): false
 *     is the RFC as posted (GUP pins are not covered, so they stay
 *     immovable); true registers every pin/get and every O_DIRECT request
 *     under the global lock and unregisters it at release (two more lock
 *     acquisitions per direct I/O), and a pinned user page met by
 *     compaction/CMA is then moved by its owners, who wait for their I/O
 *     and take their references again on the new page.
 *
 * Costs per operation (one locked op per spin_lock and per atomic bit op,
 * docs/kernel/mm-facts.md §2 units): register = lock + SetPagePinned = 2; unregister =
 * lock + ClearPagePinned when the page's last entry goes = 2; lookup = lock
 * = 1; the handler's move = kernel-core's generic moveDriverPage /
 * migrateFolio; the repoint after a move = lock (+ SetPagePinned per user
 * page) under one acquisition.
 */
import * as t from 'io-ts';
import {
  type HashMultiplier,
  type MigrateReason,
  type MigrateResult,
  type MigrateTarget,
  PG,
  type PinnedMigrationPolicy,
  type PolicyCtx,
  type PolicyDescriptor,
  ZERO_PFN,
  driverMigrateTarget,
  driverPageHandle,
  migrateFolio,
  moveDriverPage,
  moveGupPinnedFolio,
  site,
} from '@pagelab/kernel-core';
import { PinPageTable } from './pin_page_table.js';

export { PinPageTable } from './pin_page_table.js';

/** The RFC's one global spinlock, taken by every register, unregister and lookup. */
export const PINPAGE_LOCK = site('pinpage_lock');
const SET_PINNED = site('set_pinned_page.SetPagePinned');
const CLEAR_PINNED = site('clear_pinned_page.ClearPagePinned');

/**
 * The node the handler's alloc_page() starts from: the model runs
 * compaction and CMA on a CPU of node 0, and alloc_page() has no idea where
 * the page being replaced lives.
 */
export const HANDLER_ALLOC_NODE = 0;

const HashBits = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 24, 'an integer from 1 to 24');

export const Params = t.type({
  hashBits: HashBits,
  hash: t.keyof({ 'v3.13': null, 'v4.7': null }),
  coverGup: t.boolean,
});
export type Params = t.TypeOf<typeof Params>;

export const DEFAULTS: Params = { hashBits: 10, hash: 'v3.13', coverGup: false };

export interface OwnerHandlersPolicy extends PinnedMigrationPolicy {
  /** The global table (tests read its chains). */
  readonly table: PinPageTable;
}

export function createOwnerHandlers(params: Params = DEFAULTS): OwnerHandlersPolicy {
  const table = new PinPageTable(params.hashBits, params.hash as HashMultiplier);
  const ownerIds = new Map<string, number>();
  const ownerNames: string[] = [];
  const scratch: number[] = [];
  let lookups = 0;
  let walked = 0;

  const ownerId = (name: string): number => {
    let id = ownerIds.get(name);
    if (id === undefined) {
      id = ownerNames.length;
      ownerNames.push(name);
      ownerIds.set(name, id);
    }
    return id;
  };

  /** set_pinned_page for one page, the global lock already held. */
  const insert = (k: PolicyCtx, pfn: number, owner: number) => {
    table.insert(pfn, owner);
    k.ledger.setBit(k.frames.flags, pfn, PG.pinned_owner, SET_PINNED);
  };
  /** clear_pinned_page for one page, the global lock already held: PagePinned goes with the page's last owner. */
  const remove = (k: PolicyCtx, pfn: number, owner: number) => {
    if (!table.remove(pfn, owner)) k.ledger.clearBit(k.frames.flags, pfn, PG.pinned_owner, CLEAR_PINNED);
  };
  /** get_page_pin_info: the owners of `pfn`, under the global lock. */
  const lookup = (k: PolicyCtx, pfn: number): number => {
    k.ledger.spinLock(PINPAGE_LOCK);
    lookups++;
    walked += table.chainLength(pfn);
    const n = table.owners(pfn, scratch);
    k.ledger.spinUnlock();
    return n;
  };
  /** Where the handler's alloc_page() puts the copy: node 0 first, the caller's range still avoided. */
  const handlerTarget = (avoid?: [number, number]): MigrateTarget => (avoid ? { nid: HANDLER_ALLOC_NODE, avoidRange: avoid } : { nid: HANDLER_ALLOC_NODE });

  return {
    id: 'owner-handlers',
    table,

    onDriverPin(k, pfn, pinned) {
      const handle = driverPageHandle(k, pfn);
      if (handle === undefined) return;
      const l = k.ledger;
      l.spinLock(PINPAGE_LOCK);
      if (pinned) insert(k, pfn, ownerId(handle));
      else if (k.frames.test(pfn, PG.pinned_owner)) remove(k, pfn, ownerId(handle));
      l.spinUnlock();
    },

    migrateDriverPage(k, pfn) {
      // isolate_migratepages_range: if (PagePinned(page)) info = get_page_pin_info(page); info->migrate(page).
      if (!k.frames.test(pfn, PG.pinned_owner)) return 'busy';
      if (lookup(k, pfn) === 0) return 'busy';
      const owner = scratch[0]!;
      const np = moveDriverPage(k, pfn, handlerTarget(driverMigrateTarget(k)?.avoidRange));
      if (np < 0) return 'busy';
      // The owner repoints its reference: the table follows the page (PagePinned was copied with the flags).
      const l = k.ledger;
      l.spinLock(PINPAGE_LOCK);
      table.remove(pfn, owner);
      table.insert(np, owner);
      l.spinUnlock();
      return 'migrated';
    },

    onGupPin(k, name, h, pinned) {
      if (!params.coverGup) return;
      const l = k.ledger;
      const id = ownerId(name);
      l.spinLock(PINPAGE_LOCK);
      for (let i = 0; i < h.pfns.length; i++) {
        const pfn = h.pfns[i]!;
        if (pfn === ZERO_PFN) continue;
        if (pinned) insert(k, pfn, id);
        else remove(k, pfn, id);
      }
      l.spinUnlock();
    },

    migratePinnedFolio(k, head, reason: MigrateReason, target: MigrateTarget): MigrateResult {
      const f = k.frames;
      const nr = 1 << f.order(head);
      // The owners of every page of the folio, one lookup per pinned page.
      const pages: number[] = [];
      const pageOwners: number[][] = [];
      const owners: string[] = [];
      for (let i = 0; i < nr; i++) {
        if (!f.test(head + i, PG.pinned_owner)) continue;
        const n = lookup(k, head + i);
        pages.push(i);
        pageOwners.push(scratch.slice(0, n));
        for (let j = 0; j < n; j++) {
          const name = ownerNames[scratch[j]!]!;
          if (!owners.includes(name)) owners.push(name);
        }
      }
      if (owners.length === 0) return migrateFolio(k, head, reason, target);
      // Each owner waits for its I/O and drops its pins; the folio moves; the owners pin the new pages.
      const r = moveGupPinnedFolio(k, head, owners, reason, handlerTarget(target.avoidRange));
      if (!r.ok) return r;
      const l = k.ledger;
      l.spinLock(PINPAGE_LOCK);
      for (let j = 0; j < pages.length; j++) {
        const i = pages[j]!;
        for (const o of pageOwners[j]!) {
          table.remove(head + i, o);
          insert(k, r.newHead + i, o);
        }
      }
      l.spinUnlock();
      return r;
    },

    stats(k) {
      return {
        globalLockAcquisitions: k.ledger.atSite(PINPAGE_LOCK),
        hashBuckets: table.nrBuckets,
        hashMaxChain: table.maxChain,
        hashMeanChain: table.meanChainAtPeak,
        hashCollisions: table.collisions,
        hashLookups: lookups,
        hashLookupWalk: lookups === 0 ? 0 : walked / lookups,
        hashInserts: table.inserts,
        hashPeakEntries: table.peakSize,
      };
    },
  };
}

export const descriptor: PolicyDescriptor<'pinned-migration', Params> = {
  id: 'owner-handlers',
  axis: 'pinned-migration',
  title: "Minchan's pin-page owners: a global hash under one spinlock finds each pinned page's owner, whose migrate handler moves it",
  models: "Minchan Kim, RFC 'Pin page control subsystem' (linux-mm, Aug 2013); seed 004 (LaHaise's objections)",
  params: Params,
  defaults: DEFAULTS,
  paramDocs: {
    hashBits: 'log2 of the bucket count of the global pin-page hash (1..24; default 10 = 1024 buckets)',
    hash: "hash_ptr's multiplier: v3.13 (GOLDEN_RATIO_PRIME_64, what a 2013 tree had) or v4.7 (GOLDEN_RATIO_64)",
    coverGup:
      'false: the RFC as posted, GUP pins stay immovable; true: every pin/get and O_DIRECT request registers and unregisters (2 global-lock acquisitions per dio) and pinned user pages become movable',
  },
  create: (params) => createOwnerHandlers(params),
};

export default descriptor;
