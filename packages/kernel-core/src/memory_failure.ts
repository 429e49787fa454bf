/**
 * Hardware memory errors (mm/memory-failure.c memory_failure, T612 shape).
 *
 * The poisoned frame gets PG_hwpoison first (TestSetPageHWPoison), then a
 * reference (get_hwpoison_page). A THP is split first (try_to_split_thp_page,
 * through the design's split_huge_page); if that fails (a pin under the
 * head-refcount designs) the whole THP stays mapped with one poisoned page in
 * it (MF_MSG_UNSPLIT_THP, MF_IGNORED). Otherwise the poisoned page is
 * unmapped from every process (hwpoison_user_mappings; the kernel leaves a
 * hwpoison swap entry that SIGBUSes on access: modelled as pte_none plus a
 * per-process note, the page's data lost: its shadow becomes 0), a shmem page
 * leaves the page cache (its data lost too; the kernel keeps it there and
 * fails reads with -EIO), it leaves the LRU, and the last reference sends it
 * to the allocator, which keeps poisoned frames out of service. A free frame
 * is taken off the buddy lists (take_page_off_buddy). Kernel pages (driver
 * pages, the zero page) are ignored (MF_MSG_KERNEL).
 */
import { ModelInputError } from './errors.js';
import { maybeDmaPinned } from './fork.js';
import { PAGE_SIZE, PG } from './frames.js';
import { gupForgetRange } from './gup_handles.js';
import type { Kernel } from './kernel.js';
import { site } from './ledger.js';
import type { MM } from './mm.js';
import { pteIndex, setPte } from './mm.js';
import { ptePfn, ptePresent } from './pte.js';
import { ZERO_PFN, folioMappings, removeRmapPtes } from './rmap.js';
import { splitAndRecord } from './split.js';

const SET_HWPOISON = site('memory_failure.TestSetPageHWPoison');
const GET_HWPOISON = site('get_hwpoison_page');
const PUT_HWPOISON = site('memory_failure.put');
const UNMAP_PTL = site('try_to_unmap_one.hwpoison');
const UNMAP_PUT = site('try_to_unmap_one.put');
const CACHE_PUT = site('truncate_error_folio');
const SPLIT_MOVE_REF = site('try_to_split_thp_page');

/** MF_RECOVERED / MF_DELAYED / MF_IGNORED / MF_FAILED, plus the already-poisoned and unmapped-address cases. */
export type MemoryFailureResult = 'recovered' | 'delayed' | 'ignored' | 'failed' | 'already_poisoned';

/** The addresses of `mm` that lost their page to memory failure (an access would SIGBUS): MM's hwpoison entries. */
export function hwpoisonedAddresses(mm: MM): ReadonlySet<number> {
  return mm.hwpoisoned;
}

/** The `memory_failure` event: poison the page `mm` maps at `addr`. */
export function memoryFailure(k: Kernel, mm: MM, addr: number): void {
  const vma = mm.findVma(addr);
  if (!vma) throw new ModelInputError('addr', `an address inside a mapping of pid ${mm.pid}`, addr);
  const pt = mm.pt(addr);
  let pfn = -1;
  if (pt && pt.pmd > 0) pfn = ptePfn(pt.pmd) + pteIndex(addr);
  else if (pt && ptePresent(pt.ptes[pteIndex(addr)]!)) pfn = ptePfn(pt.ptes[pteIndex(addr)]!);
  if (pfn < 0) {
    // Nothing resident behind the address (none or swapped): no frame to poison.
    k.outcomes.record('memory_failure', false, 'not_present');
    k.emit({ type: 'memory_failure', pid: mm.pid, addr, pfn: -1, result: 'ignored', reason: 'not_present' });
    return;
  }
  const r = memoryFailurePfn(k, pfn);
  k.emit({ type: 'memory_failure', pid: mm.pid, addr, pfn, result: r.result, ...(r.reason ? { reason: r.reason } : {}) });
}

/** memory_failure(pfn): the mechanism, for a frame in any state. Records the `memory_failure` outcome. */
export function memoryFailurePfn(k: Kernel, pfn: number): { result: MemoryFailureResult; reason?: string } {
  const done = (result: MemoryFailureResult, reason?: string) => {
    k.outcomes.record('memory_failure', result === 'recovered', result === 'recovered' ? undefined : (reason ?? result));
    return reason ? { result, reason } : { result };
  };
  const f = k.frames;
  const l = k.ledger;
  if (pfn === ZERO_PFN || f.test(pfn, PG.reserved)) return done('ignored', 'kernel');
  if (f.test(pfn, PG.hwpoison)) return done('already_poisoned');
  if (k.buddy.isFreePage(pfn)) {
    // MF_MSG_BUDDY: a free frame is simply taken out of service.
    if (!k.buddy.takePageOffBuddy(pfn)) return done('failed', 'buddy');
    k.poisoned++;
    return done('recovered', 'free');
  }
  l.testAndSetBit(f.flags, pfn, PG.hwpoison, SET_HWPOISON);
  k.poisoned++;
  let head = f.head(pfn);
  if (f.test(pfn, PG.driver) || !(f.test(head, PG.anon) || f.test(head, PG.shmem))) return done('ignored', 'kernel');
  if (!l.atomicIncNotZero(f.refcount, head, GET_HWPOISON)) return done('ignored', 'refcount_zero');

  if (f.order(head) > 0) {
    if (!splitAndRecord(k, head, 'memory_failure')) {
      k.folioPutRefs(head, 1, PUT_HWPOISON);
      return done('ignored', 'unsplit_thp');
    }
    // split_huge_page leaves the caller's reference on the head; the kernel splits on the poisoned page itself.
    if (pfn !== head) {
      l.atomicInc(f.refcount, pfn, SPLIT_MOVE_REF);
      k.folioPutRefs(head, 1, SPLIT_MOVE_REF);
    }
    head = pfn;
  }

  hwpoisonUserMappings(k, pfn);
  if (f.test(pfn, PG.shmem)) truncateErrorPage(k, pfn);
  const pinned = maybeDmaPinned(k, pfn);
  k.lru.del(pfn, k.nid(pfn)); // delete_from_lru_cache
  const freed = f.refcount[pfn] === 1;
  k.folioPutRefs(pfn, 1, PUT_HWPOISON);
  // Still referenced (a GUP pin, get_page): the frame leaves service when the last user lets go.
  return freed ? done('recovered') : done('failed', pinned ? 'pinned' : 'extra_ref');
}

/** hwpoison_user_mappings: every PTE mapping the page is torn down; that data is gone for the process. */
function hwpoisonUserMappings(k: Kernel, pfn: number): void {
  const l = k.ledger;
  for (const m of folioMappings(k, pfn)) {
    const pt = m.mm.pt(m.addr)!;
    const i = pteIndex(m.addr);
    l.spinLock(UNMAP_PTL);
    setPte(pt, i, 0);
    pt.used--;
    pt.shadow[i] = 0;
    gupForgetRange(k, m.mm, m.addr, m.addr + PAGE_SIZE);
    removeRmapPtes(k, m.mm, pfn, 1);
    l.atomicDec(k.frames.refcount, pfn, UNMAP_PUT);
    l.tlbFlush();
    l.spinUnlock();
    m.mm.hwpoisoned.add(m.addr);
  }
}

/** A poisoned shmem page leaves the page cache with its reference; the file's data there is lost. */
function truncateErrorPage(k: Kernel, pfn: number): void {
  const f = k.frames;
  const file = k.fileById(f.mapping[pfn]!);
  if (!file) return;
  const index = f.index[pfn]!;
  if (file.cache.get(index) !== pfn) return;
  file.cache.delete(index);
  file.shadow.set(index, 0);
  k.folioPutRefs(pfn, 1, CACHE_PUT);
}
