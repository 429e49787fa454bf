/**
 * KSM (mm/ksm.c): ksmd scans anonymous pages of `mergeable` VMAs and merges
 * pages with identical content into one write-protected KSM page.
 *
 * Model (documented limits):
 * - Content identity is the content token (non-zero); the kernel's checksum
 *   "unchanged since last scan" rule is not modelled: a page is a candidate
 *   on its first scan.
 * - Stable tree: a Map from content to the KSM page. Unstable tree: a Map per
 *   pass; when a second identical page is met, the first one becomes the KSM
 *   page in place (try_to_merge_two_pages) and the second is merged into it.
 * - Merging one page (try_to_merge_one_page): lock it, write_protect_page
 *   (refuses when references exceed mappings + ours: a GUP pin or get_page;
 *   clears PG_anon_exclusive), replace_page (the PTE points at the KSM page,
 *   read-only; rmap and references move), and the duplicate is freed.
 * - A THP in a mergeable range is split first (the kernel splits only once it
 *   has a match); a failed split leaves that THP alone.
 * - KSM pages keep `mapping`/`index` of the first page; their reverse map is
 *   the stable node's rmap items (mm, address), registered with rmap.ts so
 *   migration and reclaim find every mapping. A later write faults on the
 *   read-only PTE and do_wp_page copies, since the KSM page has more than one
 *   reference (fault.ts). fault.ts may reuse a KSM page in place when a single
 *   mapping is left (the kernel never reuses KSM pages): the stable tree
 *   notices because the content no longer matches and drops the entry.
 * - Zero-content pages are not merged (use_zero_pages is off).
 */
import { HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import type { Kernel } from './kernel.js';
import { site } from './ledger.js';
import type { MM } from './mm.js';
import type { KsmRmapItem, KsmState } from './subsystem_state.js';
import { pmdBase, pteIndex, setPte } from './mm.js';
import { mkPte, ptePfn, ptePresent, pteWrprotect } from './pte.js';
import { ZERO_PFN, addRmapPtes, removeRmapPtes } from './rmap.js';
import { splitAndRecord } from './split.js';

const FOLLOW_GET = site('ksm.follow_page');
const PAGE_LOCK = site('try_to_merge_one_page.lock');
const WP_PTL = site('write_protect_page.ptl');
const WP_SHARE = site('write_protect_page.anon_exclusive');
const REPLACE_PTL = site('replace_page.ptl');
const REPLACE_GET = site('replace_page.get');
const REPLACE_PUT = site('replace_page.put');
const SPLIT_GET = site('ksm.split_get');

type RmapItem = KsmRmapItem;
/** The kernel's KSM state (a named field of the Kernel). */
function state(k: Kernel): KsmState {
  return k.ksm;
}

/** Migration moved a KSM page: the stable node follows it (ksm_migrate_folio). */
export function ksmFolioMigrated(k: Kernel, oldPfn: number, newPfn: number): void {
  const s = k.ksm;
  const items = s.items.get(oldPfn);
  s.items.delete(oldPfn);
  if (items) s.items.set(newPfn, items);
  const c = k.frames.content[oldPfn]!;
  if (s.stable.get(c) === oldPfn) s.stable.set(c, newPfn);
}

/** The KSM page for `content` if the stable tree still has a live one (stale entries are pruned). */
function stableLookup(k: Kernel, s: KsmState, content: number): number {
  const kp = s.stable.get(content);
  if (kp === undefined) return -1;
  const f = k.frames;
  if (f.test(kp, PG.ksm) && f.refcount[kp]! > 0 && f.content[kp] === content && f.order(kp) === 0) return kp;
  s.stable.delete(content);
  s.items.delete(kp);
  return -1;
}

type MergeFail = 'pinned' | 'locked' | 'changed';

/**
 * write_protect_page: under the PT lock, refuse a page with references
 * beyond its mappings and the scanner's own (GUP), share it (clear
 * PG_anon_exclusive), and make the PTE read-only. The caller holds a
 * reference and the page lock.
 */
function writeProtectPage(k: Kernel, mm: MM, addr: number, pfn: number): MergeFail | null {
  const f = k.frames;
  const l = k.ledger;
  const pt = mm.pt(addr);
  const i = pteIndex(addr);
  if (!pt || pt.pmd > 0 || !ptePresent(pt.ptes[i]!) || ptePfn(pt.ptes[i]!) !== pfn) return 'changed';
  l.spinLock(WP_PTL);
  if (f.refcount[pfn] !== f.mapcount[pfn]! + 1) {
    l.spinUnlock();
    return 'pinned';
  }
  if (f.test(pfn, PG.anon_exclusive)) l.clearBit(f.flags, pfn, PG.anon_exclusive, WP_SHARE);
  setPte(pt, i, pteWrprotect(pt.ptes[i]!));
  l.tlbFlush();
  l.spinUnlock();
  return null;
}

/** try_to_merge_one_page + replace_page: map `kp` (a KSM page) at `addr` instead of `pfn`, then drop `pfn`. */
function mergeInto(k: Kernel, s: KsmState, mm: MM, addr: number, pfn: number, kp: number): MergeFail | null {
  const f = k.frames;
  const l = k.ledger;
  l.atomicInc(f.refcount, pfn, FOLLOW_GET);
  if (!l.lockPage(f.flags, pfn, PG.locked, PAGE_LOCK)) {
    k.folioPutRefs(pfn, 1, FOLLOW_GET);
    return 'locked';
  }
  const wp = writeProtectPage(k, mm, addr, pfn);
  if (wp === null) {
    const pt = mm.pt(addr)!;
    l.spinLock(REPLACE_PTL);
    l.atomicInc(f.refcount, kp, REPLACE_GET);
    addRmapPtes(k, mm, kp, 1);
    setPte(pt, pteIndex(addr), mkPte(kp, false));
    removeRmapPtes(k, mm, pfn, 1);
    l.atomicDec(f.refcount, pfn, REPLACE_PUT);
    l.tlbFlush();
    l.spinUnlock();
    const items = s.items.get(kp);
    if (items) items.push({ mm, addr });
    else s.items.set(kp, [{ mm, addr }]);
  }
  l.unlockPage(f.flags, pfn, PG.locked, PAGE_LOCK);
  k.folioPutRefs(pfn, 1, FOLLOW_GET); // frees the duplicate when nothing else holds it
  return wp;
}

/** try_to_merge_two_pages, first half: the page at (mm, addr) becomes a KSM page in place. */
function promoteToKsm(k: Kernel, s: KsmState, mm: MM, addr: number, pfn: number): MergeFail | null {
  const f = k.frames;
  const l = k.ledger;
  l.atomicInc(f.refcount, pfn, FOLLOW_GET);
  if (!l.lockPage(f.flags, pfn, PG.locked, PAGE_LOCK)) {
    k.folioPutRefs(pfn, 1, FOLLOW_GET);
    return 'locked';
  }
  const wp = writeProtectPage(k, mm, addr, pfn);
  if (wp === null) {
    l.__setBit(f.flags, pfn, PG.ksm); // folio_set_stable_node: a plain store of page->mapping
    s.stable.set(f.content[pfn]!, pfn);
    s.items.set(pfn, [{ mm, addr }]);
  }
  l.unlockPage(f.flags, pfn, PG.locked, PAGE_LOCK);
  k.folioPutRefs(pfn, 1, FOLLOW_GET);
  return wp;
}

interface ScanTally {
  merged: number;
  failed: number;
  splitFailed: number;
}

/** One candidate page at (mm, addr): stable tree first, then the unstable tree of this pass. */
function cmpAndMergePage(k: Kernel, s: KsmState, unstable: Map<number, RmapItem & { pfn: number }>, mm: MM, addr: number, t: ScanTally): void {
  const f = k.frames;
  const pt = mm.pt(addr)!;
  const v = pt.ptes[pteIndex(addr)]!;
  if (!ptePresent(v)) return;
  const pfn = ptePfn(v);
  if (pfn === ZERO_PFN || f.order(pfn) !== 0 || !f.test(pfn, PG.anon) || f.test(pfn, PG.ksm) || f.test(pfn, PG.hwpoison)) return;
  const c = f.content[pfn]!;
  if (c === 0) return;
  const record = (r: MergeFail | null) => {
    k.outcomes.record('ksm_merge', r === null, r ?? undefined);
    if (r === null) t.merged++;
    else t.failed++;
  };
  const kp = stableLookup(k, s, c);
  if (kp >= 0) {
    record(mergeInto(k, s, mm, addr, pfn, kp));
    return;
  }
  const other = unstable.get(c);
  if (!other || other.pfn === pfn || f.content[other.pfn] !== c || f.refcount[other.pfn] === 0) {
    unstable.set(c, { mm, addr, pfn });
    return;
  }
  unstable.delete(c);
  const first = promoteToKsm(k, s, other.mm, other.addr, other.pfn);
  if (first !== null) {
    record(first);
    unstable.set(c, { mm, addr, pfn });
    return;
  }
  record(mergeInto(k, s, mm, addr, pfn, other.pfn));
}

/** A THP mapped in a mergeable range: split it so its pages can be merged one by one. */
function splitForKsm(k: Kernel, mm: MM, base: number, t: ScanTally): boolean {
  const f = k.frames;
  const pt = mm.pt(base)!;
  const head = ptePfn(pt.pmd);
  if (!f.test(head, PG.anon)) return false;
  if (!k.ledger.atomicIncNotZero(f.refcount, head, SPLIT_GET)) return false;
  const ok = splitAndRecord(k, head, 'ksm');
  k.folioPutRefs(head, 1, SPLIT_GET);
  if (!ok) t.splitFailed++;
  return ok;
}

/** A PTE-mapped large folio in a mergeable range: split it too (its pages are PTE-mapped already). */
function splitPteMappedForKsm(k: Kernel, pfn: number, t: ScanTally): boolean {
  const f = k.frames;
  const head = f.head(pfn);
  if (!k.ledger.atomicIncNotZero(f.refcount, head, SPLIT_GET)) return false;
  const ok = splitAndRecord(k, head, 'ksm');
  k.folioPutRefs(head, 1, SPLIT_GET);
  if (!ok) t.splitFailed++;
  return ok;
}

/**
 * The `ksm_scan` event: `passes` full scans of every mergeable anonymous VMA
 * of every process. Emits one `ksm_scan` observation.
 */
export function ksmScan(k: Kernel, passes: number): void {
  const s = state(k);
  const f = k.frames;
  const t: ScanTally = { merged: 0, failed: 0, splitFailed: 0 };
  for (let pass = 0; pass < passes; pass++) {
    const unstable = new Map<number, RmapItem & { pfn: number }>();
    for (const mm of [...k.mms.values()]) {
      for (const vma of [...mm.vmas]) {
        if (!vma.mergeable || vma.kind !== 'anon') continue;
        for (let a = vma.start; a < vma.end; a += PAGE_SIZE) {
          const pt = mm.pt(a);
          if (!pt) {
            a = Math.max(a, pmdBase(a) + HPAGE_PMD_SIZE - PAGE_SIZE);
            continue;
          }
          if (pt.pmd > 0 && !splitForKsm(k, mm, pmdBase(a), t)) {
            a = Math.max(a, pmdBase(a) + HPAGE_PMD_SIZE - PAGE_SIZE);
            continue;
          }
          const v = pt.ptes[pteIndex(a)]!;
          if (ptePresent(v) && ptePfn(v) !== ZERO_PFN && f.order(ptePfn(v)) > 0 && !splitPteMappedForKsm(k, ptePfn(v), t)) continue;
          cmpAndMergePage(k, s, unstable, mm, a, t);
        }
      }
    }
  }
  const { pagesShared, pagesSharing } = ksmStats(k);
  k.emit({ type: 'ksm_scan', passes, merged: t.merged, failed: t.failed, splitFailed: t.splitFailed, pagesShared, pagesSharing });
}

/** KSM statistics (/sys/kernel/mm/ksm/pages_shared, pages_sharing) from the stable tree. */
export function ksmStats(k: Kernel): { pagesShared: number; pagesSharing: number } {
  const s = k.ksm;
  let shared = 0,
    sharing = 0;
  for (const [c, kp] of [...s.stable]) {
    if (stableLookup(k, s, c) < 0) continue;
    shared++;
    sharing += Math.max(0, k.frames.mapcount[kp]! - 1);
  }
  return { pagesShared: shared, pagesSharing: sharing };
}
