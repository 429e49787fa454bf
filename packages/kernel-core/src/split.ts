/**
 * Split mechanics shared by the refcount policies (mm/huge_memory.c):
 * split_huge_pmd (PMD -> 512 PTEs, never fails), the unmap / remap around
 * split_huge_page, and turning a tail into an independent page. Who may split
 * and how references move is the refcount policy's business; this module
 * only does what every design does the same way, through counted primitives.
 */
import type { SplitResult } from './axes.js';
import type { Kernel } from './kernel.js';
import { P1, P2, P3, clearLargeFields } from './folio.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG, PG_SPLIT_FAILED, ZERO_CONTENT } from './frames.js';
import { site } from './ledger.js';
import { PAGEBLOCK_FLAG_BITS } from './pageblock.js';
import { type MM, type PageTable, pmdBase, pteIndex, pmdToPtes, setPmd, setPte } from './mm.js';
import { PTE_YOUNG, mkPte, ptePfn, pteWrite } from './pte.js';
import { ZERO_PFN, addRmapPtes, removeRmapPmd, removeRmapPteEach, rmapWalk } from './rmap.js';

const PMD_LOCK = site('split_huge_pmd.pmd_lock');
const PMD_REF = site('split_huge_pmd.refcount');
const PMD_EXCL = site('split_huge_pmd.anon_exclusive');
const UNMAP_PTL = site('try_to_migrate.ptl');
const UNMAP_REF = site('try_to_migrate.put');
const REMAP_PTL = site('remove_migration_ptes.ptl');
const REMAP_REF = site('remove_migration_ptes.get');

/**
 * __split_huge_pmd_locked for anon THPs of designs that PTE-map THPs: one
 * PMD reference becomes 512 PTE references, each page gains a PTE mapcount,
 * and the PMD mapping is removed. A shmem PMD is simply dropped and refaults.
 */
export function splitHugePmdLocked(k: Kernel, mm: MM, base: number): void {
  const pt = mm.pt(base);
  if (!pt || pt.pmd <= 0) return;
  const f = k.frames;
  const head = ptePfn(pt.pmd);
  const write = pteWrite(pt.pmd);
  k.ledger.spinLock(PMD_LOCK);
  k.ledger.tlbFlush(); // pmdp_invalidate
  if (!f.test(head, PG.anon)) {
    setPmd(pt, 0);
    removeRmapPmd(k, mm, head);
    k.ledger.spinUnlock();
    k.folioPutRefs(head, 1, PMD_REF);
    k.outcomes.record('split_pmd', true);
    k.emit({ type: 'thp_split_pmd', pid: mm.pid, addr: base, pfn: head, file: true });
    return;
  }
  k.ledger.atomicAdd(f.refcount, head, HPAGE_PMD_NR - 1, PMD_REF);
  pmdToPtes(pt, head, write, (pt.pmd & PTE_YOUNG) !== 0);
  addRmapPtes(k, mm, head, HPAGE_PMD_NR);
  if (k.params.anonExclusive && f.test(head, PG.anon_exclusive)) {
    for (let i = 1; i < HPAGE_PMD_NR; i++) k.ledger.setBit(f.flags, head + i, PG.anon_exclusive, PMD_EXCL);
  }
  removeRmapPmd(k, mm, head);
  k.ledger.spinUnlock();
  k.outcomes.record('split_pmd', true);
  k.emit({ type: 'thp_split_pmd', pid: mm.pid, addr: base, pfn: head });
}

/**
 * The mappings taken down for a split, to be re-established on the pieces:
 * parallel arrays (one entry per PTE), not an object per PTE, because a split
 * saves 512 of them. The arrays are reused from split to split (see
 * takeSaved); `n` entries are valid.
 */
export interface SavedPtes {
  n: number;
  /** Entries past `n` are null (cleared by putSaved so no dead process stays reachable). */
  readonly mm: (MM | null)[];
  readonly table: (PageTable | null)[];
  slot: Int32Array;
  pfn: Int32Array;
  pte: Int32Array;
}

/** One spare SavedPtes: splits do not nest, so one is enough; a nested one allocates its own. */
let spareSaved: SavedPtes | null = null;

function takeSaved(cap: number): SavedPtes {
  const s = spareSaved ?? { n: 0, mm: [], table: [], slot: new Int32Array(cap), pfn: new Int32Array(cap), pte: new Int32Array(cap) };
  spareSaved = null;
  s.n = 0;
  if (s.slot.length < cap) growSaved(s, cap);
  return s;
}

function growSaved(s: SavedPtes, cap: number): void {
  const grow = (x: Int32Array) => {
    const y = new Int32Array(cap);
    y.set(x);
    return y;
  };
  s.slot = grow(s.slot);
  s.pfn = grow(s.pfn);
  s.pte = grow(s.pte);
}

/**
 * Hands the arrays back once the saved PTEs are remapped. The object slots
 * are cleared, not truncated: truncating would free their backing stores and
 * the next split would grow them again, 512 entries at a time.
 */
function putSaved(s: SavedPtes): void {
  s.mm.fill(null, 0, s.n);
  s.table.fill(null, 0, s.n);
  s.n = 0;
  spareSaved = s;
}

/**
 * unmap_folio with TTU_SPLIT_HUGE_PMD: PMD mappings are split, then every
 * PTE mapping of the folio is replaced by a (modelled) migration entry: its
 * rmap and reference are dropped and the PTE is remembered for remapping.
 */
export function unmapFolio(k: Kernel, head: number): SavedPtes {
  const f = k.frames;
  const nr = f.nrPages(head);
  if (f.entireMapcount[head + P1]! > 0) {
    // TTU_SPLIT_HUGE_PMD: every PMD mapping becomes PTEs first (collected, then split: the walk must not see its own edits).
    const pmds: { mm: MM; addr: number }[] = [];
    rmapWalk(k, head, (mm, vma, base) => {
      if (base % HPAGE_PMD_SIZE !== 0 || base < vma.start || base + HPAGE_PMD_SIZE > vma.end) return;
      const pt = mm.pt(base);
      if (pt && pt.pmd > 0 && ptePfn(pt.pmd) === head) pmds.push({ mm, addr: base });
    });
    for (const m of pmds) splitHugePmdLocked(k, m.mm, m.addr);
  }
  const saved = takeSaved(nr);
  rmapWalk(k, head, (mm, vma, base) => {
    // The part of the folio inside this VMA, one page table (PMD range) at a time.
    const lo = Math.max(base, vma.start),
      hi = Math.min(base + nr * PAGE_SIZE, vma.end);
    for (let a = lo; a < hi;) {
      const stop = Math.min(hi, pmdBase(a) + HPAGE_PMD_SIZE);
      const pt = mm.pt(a);
      if (!pt || pt.pmd > 0) {
        a = stop;
        continue;
      }
      // page_vma_mapped_walk takes the PTE lock at the first mapped PTE of a table and keeps it across the table.
      let locked = false;
      let pfn = head + (a - base) / PAGE_SIZE;
      const last = pteIndex(a) + (stop - a) / PAGE_SIZE;
      for (let j = pteIndex(a); j < last;) {
        // A run of PTEs mapping consecutive pages of the folio: try_to_migrate_one takes them one at a
        // time in every era (one rmap removal, one reference and one flush each), counted per PTE below.
        let run = 0;
        for (; j + run < last; run++) {
          const v = pt.ptes[j + run]!;
          if (!(v > 0) || ptePfn(v) !== pfn + run) break;
        }
        if (run === 0) {
          j++;
          pfn++;
          continue;
        }
        if (!locked) {
          k.ledger.spinLock(UNMAP_PTL);
          locked = true;
        }
        if (saved.n + run > saved.slot.length) growSaved(saved, Math.max(saved.n + run, saved.slot.length * 2));
        for (let r = 0; r < run; r++) {
          const n = saved.n++;
          saved.mm[n] = mm;
          saved.table[n] = pt;
          saved.slot[n] = j + r;
          saved.pfn[n] = pfn + r;
          saved.pte[n] = pt.ptes[j + r]!;
          setPte(pt, j + r, 0); // a migration entry: the slot stays in use
        }
        removeRmapPteEach(k, mm, pfn, run, head);
        k.ledger.atomicAddEach(f.refcount, head, -1, run, UNMAP_REF);
        k.ledger.tlbFlush(run);
        j += run;
        pfn += run;
      }
      if (locked) k.ledger.spinUnlock();
      a = stop;
    }
  });
  return saved;
}

/**
 * remove_migration_ptes: map each saved PTE again, onto whatever folio its
 * page belongs to now (the pieces after a split, or the folio itself after a
 * failed one). Takes one reference per mapping on that folio's head. With
 * `zeropage` (RMP_USE_SHARED_ZEROPAGE, 6.12+ anon splits), a page holding
 * only zeroes is mapped as the shared zero page instead
 * (try_to_map_unused_to_zeropage): no reference, no rmap, no RSS, and the
 * split frees the page. Never a hwpoisoned page.
 */
export function remapFolio(k: Kernel, saved: SavedPtes, toPfn?: (pfn: number) => number, zeropage = false): void {
  const f = k.frames;
  for (let e = 0; e < saved.n; e++) {
    const pfn = toPfn ? toPfn(saved.pfn[e]!) : saved.pfn[e]!;
    k.ledger.spinLock(REMAP_PTL);
    // A poisoned page is never read for zeroes (6.17's "prevent poison consumption when splitting THP",
    // in stable): it is remapped as it was, so memory_failure still finds and isolates it.
    if (zeropage && f.content[pfn] === ZERO_CONTENT && !f.test(pfn, PG.hwpoison)) {
      setPte(saved.table[e]!, saved.slot[e]!, mkPte(ZERO_PFN, false, true));
      k.ledger.spinUnlock();
      continue;
    }
    setPte(saved.table[e]!, saved.slot[e]!, mkPte(pfn, pteWrite(saved.pte[e]!), true));
    const head = f.head(pfn);
    k.ledger.atomicInc(f.refcount, head, REMAP_REF);
    addRmapPtes(k, saved.mm[e]!, pfn, 1, head);
    k.ledger.spinUnlock();
  }
  putSaved(saved);
}

/**
 * The struct-page part of __split_huge_page for one tail: it stops being a
 * tail and inherits the head's identity at its offset. Plain stores: the
 * folio is frozen (or, in design A, compound_lock'ed) while this runs. The
 * policy does the counted parts (refcount, PG_lru, puts).
 */
export function makeTailIndependent(k: Kernel, head: number, i: number): void {
  const f = k.frames;
  const t = head + i;
  const inherit = (1 << PG.anon) | (1 << PG.swapbacked) | (1 << PG.shmem) | (1 << PG.dirty) | (1 << PG.referenced) | (1 << PG.uptodate);
  const keep = (1 << PG.hwpoison) | (1 << PG.anon_exclusive) | (1 << PG.pinned_owner) | PAGEBLOCK_FLAG_BITS;
  f.flags[t] = (f.flags[t]! & keep) | (f.flags[head]! & inherit) | (1 << PG.dirty);
  if (i === P1 || i === P2 || i === P3) {
    // These tails carried the folio's own fields; they hold nothing of theirs.
    f.lruNext[t] = -1;
    f.lruPrev[t] = -1;
  }
  f.mapping[t] = f.mapping[head]!;
  f.index[t] = f.index[head]! + i;
}

/** The head's part: ClearPageCompound; the head becomes an order-0 page. */
export function clearCompoundHead(k: Kernel, head: number): void {
  const f = k.frames;
  f.flags[head] = f.flags[head]! & ~((1 << PG.head) | (1 << PG.deferred) | (1 << PG.double_map));
  f.setOrder(head, 0);
}

/** The entire mapcount of a large folio (read). */
export function entireMapcountOf(k: Kernel, head: number): number {
  return k.frames.entireMapcount[head + P1]!;
}

const ANON_VMA_GET = site('split_huge_page.anon_vma');
const SPLIT_LRU = site('split_huge_page.lru_lock');
const SPLIT_QUEUE_LOCK = site('split_huge_page.split_queue_lock');
const SPLIT_FREEZE = site('split_huge_page.freeze');
const SPLIT_TAIL_LRU = site('lru_add_split_folio');
const SPLIT_PUT = site('split_huge_page.put_tail');

/** Page-cache references a folio holds apart from mappings (can_split_folio's extra_pins). */
export function extraPins(k: Kernel, head: number): number {
  const f = k.frames;
  return f.test(head, PG.anon) && !f.test(head, PG.swapcache) ? 0 : f.nrPages(head);
}

/**
 * split_huge_page_to_list_to_order(folio, 0) as the head-refcount kernels do
 * it (4.5+, T612 shape): refuse early unless every reference is a mapping,
 * the page cache's, or the caller's; unmap to migration entries; freeze the
 * refcount at the expected value; make 512 pages; remap; drop the tails'
 * temporary references, which frees every page nobody maps. The caller
 * holds one reference and keeps it on the (former) head page.
 */
export function splitFolioFrozen(k: Kernel, head: number): SplitResult {
  return splitFrozen(k, head, -1);
}

/**
 * folio_split(folio, 0, page, NULL) (mm/huge_memory.c, 6.15+, the
 * "buddy allocator like" non-uniform split truncate uses since 7460b470a131):
 * the same checks, unmap, freeze and remap as split_huge_page, but only the
 * page at offset `at` ends in an order-0 folio. At each order from the
 * folio's down to 0 the block holding `at` is halved, and the half without it
 * stays one folio of that order: a one-page split at 300 of an order-9 folio
 * leaves [0, 256) order 8, [256, 288) order 5, [288, 296) order 3,
 * [296, 300) order 2, 301 order 0, [302, 304) order 1, [304, 320) order 4,
 * [320, 384) order 6, [384, 512) order 7, and 300 alone. The caller keeps
 * its reference and the folio lock on the piece holding the old head
 * (lock_at = &folio->page); every other piece is unlocked and loses the
 * split's temporary reference. Only page-cache folios come here (truncate is
 * the one caller), so no page is remapped to the shared zero page.
 */
export function folioSplitNonUniform(k: Kernel, head: number, at: number): SplitResult {
  if (at < 0 || at >= k.frames.nrPages(head)) throw new RangeError(`folio_split: page ${at} is outside folio ${head} of order ${k.frames.order(head)}`);
  return splitFrozen(k, head, at);
}

/** The piece of a non-uniform split at `at` that keeps the old head: order of `at`'s highest set bit (0 when `at` is 0). */
export function headPieceOrder(at: number): number {
  return at === 0 ? 0 : 31 - Math.clz32(at);
}

/** splitFolioFrozen (at < 0: uniform, every page order 0) and folioSplitNonUniform (at >= 0). */
function splitFrozen(k: Kernel, head: number, at: number): SplitResult {
  const f = k.frames;
  const l = k.ledger;
  const nr = f.nrPages(head);
  const anon = f.test(head, PG.anon);
  const extra = extraPins(k, head);
  const av = anon ? k.anonVma(f.mapping[head]!) : undefined;
  if (anon && !av) return { ok: false, reason: 'extra_ref' };
  if (av) {
    l.atomicInc(av.refs, 0, ANON_VMA_GET); // page_get_anon_vma
    l.downWrite(ANON_VMA_GET);
  } else l.downRead(ANON_VMA_GET); // i_mmap_lock_read
  const release = () => {
    if (av) {
      l.upWrite(ANON_VMA_GET);
      l.atomicDec(av.refs, 0, ANON_VMA_GET); // put_anon_vma
    } else l.upRead(ANON_VMA_GET);
  };
  let mapcount = f.entireMapcount[head + P1]!;
  for (let i = 0; i < nr; i++) mapcount += f.mapcount[head + i]!;
  if (mapcount !== f.refcount[head]! - extra - 1) {
    release();
    return { ok: false, reason: f.pincount[head + P1]! > 0 || f.refcount[head]! - extra - 1 - mapcount > 0 ? 'pinned' : 'extra_ref' };
  }
  const saved = unmapFolio(k, head);
  l.spinLockIrqSave(SPLIT_LRU);
  l.spinLock(SPLIT_QUEUE_LOCK);
  if (!l.cmpxchg(f.refcount, head, 1 + extra, 0, SPLIT_FREEZE)) {
    l.spinUnlock();
    l.spinUnlockIrqRestore();
    remapFolio(k, saved);
    release();
    return { ok: false, reason: 'extra_ref' };
  }
  k.deferredUnqueue(head, false);
  l.spinUnlock();
  const nid = k.nid(head);
  const file = anon ? undefined : k.fileById(f.mapping[head]!);
  const perPage = anon ? 1 : 2; // the temporary reference, plus the page cache's for file pages
  if (at >= 0) {
    const pieces = splitPieces(f.order(head), at);
    for (let e = pieces.length - 2; e >= 0; e -= 2) {
      const s = pieces[e]!,
        o = pieces[e + 1]!;
      if (s === 0) continue;
      makePiece(k, head, s, o);
      f.refcount[head + s] = 1 + (anon ? 0 : 1 << o); // page_ref_unfreeze: ours, plus the page cache's
      l.setBit(f.flags, head + s, PG.lru, SPLIT_TAIL_LRU);
      k.lru.link(head + s, nid);
      if (file) file.cache.set(f.index[head + s]!, head + s);
    }
    const o0 = headPieceOrder(at);
    if (o0 === 0) clearCompoundHead(k, head);
    else shrinkHead(k, head, o0);
    f.refcount[head] = 1 + (anon ? 0 : 1 << o0);
    l.spinUnlockIrqRestore();
    remapFolio(k, saved);
    release();
    for (let e = 0; e < pieces.length; e += 2) if (pieces[e] !== 0) k.folioPutRefs(head + pieces[e]!, 1, SPLIT_PUT);
    return { ok: true };
  }
  for (let i = nr - 1; i >= 1; i--) {
    makeTailIndependent(k, head, i);
    f.refcount[head + i] = perPage; // page_ref_unfreeze: a plain store
    l.setBit(f.flags, head + i, PG.lru, SPLIT_TAIL_LRU);
    k.lru.link(head + i, nid);
    if (file) file.cache.set(f.index[head]! + i, head + i);
  }
  clearCompoundHead(k, head);
  f.refcount[head] = perPage;
  l.spinUnlockIrqRestore();
  remapFolio(k, saved, undefined, anon && k.params.splitRemapsZeropage);
  release();
  k.putSmallPages(head + 1, nr - 1, SPLIT_PUT);
  return { ok: true };
}

/**
 * The folios a non-uniform split of an order-`order` folio at page `at`
 * leaves, as (offset, order) pairs by ascending offset: at each order o the
 * buddy of the order-o block holding `at` (below `at` where bit o of `at` is
 * set, above it where it is clear), and `at` itself. One small array per
 * split (at most 2 * (order + 1) numbers), not per page.
 */
export function splitPieces(order: number, at: number): number[] {
  const out: number[] = [];
  for (let o = order - 1; o >= 0; o--) if ((at >>> o) & 1) out.push(((at >>> o) ^ 1) << o, o);
  out.push(at, 0);
  for (let o = 0; o < order; o++) if (!((at >>> o) & 1)) out.push(((at >>> o) ^ 1) << o, o);
  return out;
}

/**
 * A page of a frozen, unmapped folio becomes the head of a folio of order
 * `o` (__split_folio_to_order for one new folio): it takes the old head's
 * identity at its offset, and its pages point at it. The large-folio fields
 * of a new order >= 1 folio start clear (its page[1] is an old plain tail).
 */
function makePiece(k: Kernel, head: number, s: number, o: number): void {
  const f = k.frames;
  const t = head + s;
  makeTailIndependent(k, head, s);
  if (o === 0) return;
  f.flags[t] = f.flags[t]! | (1 << PG.head);
  const n = 1 << o;
  for (let j = 0; j < n; j++) f.setOrder(t + j, o);
  if (o >= 2) clearLargeFields(f, t);
  else f.lruNext[t + P1] = f.lruPrev[t + P1] = f.mapping[t + P1] = f.index[t + P1] = 0;
}

/** The old head keeps a folio of order `o` (>= 1) after a non-uniform split: its pages past that order left already. */
function shrinkHead(k: Kernel, head: number, o: number): void {
  const f = k.frames;
  f.flags[head] = f.flags[head]! & ~((1 << PG.deferred) | (1 << PG.double_map));
  const n = 1 << o;
  for (let j = 0; j < n; j++) f.setOrder(head + j, o);
}

/** Calls the design's split_huge_page and reports the outcome the kernel's vmstat would. */
export function splitAndRecord(k: Kernel, head: number, caller: string): boolean {
  return recordSplit(k, head, caller, k.policies.refcount.splitHugePage(k, head), true);
}

/**
 * try_folio_split for truncate (6.15+): folio_split at page `at` of the
 * folio, reported as split_huge_page is, except that only a PMD-sized
 * folio's split counts as a THP split (__folio_split counts THP_SPLIT_PAGE
 * and THP_SPLIT_PAGE_FAILED for HPAGE_PMD_ORDER only; a smaller one is an
 * mTHP statistic the model does not keep).
 */
export function folioSplitAndRecord(k: Kernel, head: number, at: number, caller: string): boolean {
  const thp = k.frames.order(head) === HPAGE_PMD_ORDER;
  return recordSplit(k, head, caller, folioSplitNonUniform(k, head, at), thp);
}

function recordSplit(k: Kernel, head: number, caller: string, r: SplitResult, counted: boolean): boolean {
  const f = k.frames;
  if (counted) k.outcomes.record('split_page', r.ok, r.ok ? undefined : r.reason);
  if (r.ok) {
    f.flags[head] = f.flags[head]! & ~(1 << PG_SPLIT_FAILED);
    if (counted) k.emit({ type: 'thp_split_page', pfn: head, caller });
  } else {
    // Remember the failure on the folio: waste it holds is "split-blocked" from now on.
    if (f.order(head) > 0) f.flags[head] = f.flags[head]! | (1 << PG_SPLIT_FAILED);
    if (counted) k.emit({ type: 'thp_split_page_failed', pfn: head, caller, reason: r.reason });
  }
  return r.ok;
}
