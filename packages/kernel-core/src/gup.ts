/**
 * get_user_pages / pin_user_pages (mm/gup.c) and the direct-I/O pattern
 * built on them. The page-table walk, faulting-in and batching are common;
 * what a grab and a release do to the folio is the refcount policy's.
 *
 * Fast path (gup_fast): lockless with IRQs off; a PMD-mapped THP is grabbed
 * once for all its subpages in range. Slow path: follow_page under the page
 * table lock, one page at a time, faulting in what is missing.
 */
import type { GupKind } from './axes.js';
import { ModelInputError } from './errors.js';
import { faultInAnon, mustUnshare, unshareAnon } from './fault.js';
import { GUP_PIN_COUNTING_BIAS, HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import type { GupHandle, Kernel } from './kernel.js';
import { site } from './ledger.js';
import type { MM } from './mm.js';
import { pteIndex } from './mm.js';
import { ptePfn, ptePresent, pteWrite } from './pte.js';
import { ZERO_PFN, folioMappings } from './rmap.js';
import { shmemFault } from './shmem.js';
import { migrateLongtermUnpinnable } from './migrate.js';

const GUP_PTL = site('follow_page.ptl');

export interface GupRequest {
  pid: number;
  addr: number;
  len: number;
  write: boolean;
  fast: boolean;
  longterm: boolean;
  /** Internal: the FOLL_LONGTERM retry after unpinnable pages were migrated (no second migration). */
  noMigrate?: boolean;
}

/** The GUP kind this era really uses: FOLL_PIN where it exists, FOLL_GET otherwise. */
export function eraKind(k: Kernel, kind: GupKind): GupKind {
  return kind === 'pin' && k.params.follPin ? 'pin' : 'get';
}

/** Why a GUP got no pages: the errno __get_user_pages returns. */
export type GupError = 'ENOMEM' | 'EFAULT';

/**
 * Grabs every page of the range and returns their pfns (the zero page, never
 * pinned, is returned but not grabbed), or the errno when a page could not
 * be faulted in: faultin_page turns VM_FAULT_OOM into -ENOMEM and
 * VM_FAULT_SIGBUS (shmem beyond EOF) into -EFAULT (mm/gup.c,
 * vm_fault_to_errno). What was grabbed before is released again: every
 * user of a range pin unpins a short pin, so the model's GUP is all or
 * nothing (see gupRefused).
 */
export function gupRange(k: Kernel, mm: MM, req: GupRequest, kind: GupKind): Int32Array | GupError {
  const n = req.len / PAGE_SIZE;
  const pfns = new Int32Array(n);
  if (kind === 'pin') mm.hasPinned = true;
  let a = req.addr;
  for (let j = 0; j < n;) {
    const vma = mm.findVma(a);
    if (!vma) throw new ModelInputError('addr', `a range inside mappings of pid ${mm.pid}`, a);
    const pt = mm.pt(a);
    // 5.8 (gupBreaksCow): any GUP of a private mapping is a write as far as faulting goes, and GUP-fast only takes
    // writable entries, so the page is the process's own before it is grabbed; shared (shmem) mappings are not CoW.
    const write = req.write || (k.params.gupBreaksCow && vma.kind === 'anon');
    let present =
      pt !== undefined && (pt.pmd > 0 ? !write || pteWrite(pt.pmd) : ptePresent(pt.ptes[pteIndex(a)]!) && (!write || pteWrite(pt.ptes[pteIndex(a)]!)));
    // gup_must_unshare: a R/O pin of a possibly shared anon page leaves the fast path for an unshare fault.
    const unshare = kind === 'pin' && !req.write && vma.kind === 'anon' && k.params.anonExclusive;
    if (unshare && present && mustUnshare(k, pt!.pmd > 0 ? ptePfn(pt!.pmd) : ptePfn(pt!.ptes[pteIndex(a)]!))) present = false;
    if (req.fast && present && pt!.pmd > 0) {
      // gup_fast_pmd_leaf: one grab for every subpage of this PMD in range.
      const first = pteIndex(a);
      const nr = Math.min(HPAGE_PMD_NR - first, n - j);
      const pfn = ptePfn(pt!.pmd) + first;
      k.policies.refcount.gupGrab(k, pfn, nr, kind, true, true);
      for (let i = 0; i < nr; i++) pfns[j + i] = pfn + i;
      j += nr;
      a += nr * PAGE_SIZE;
      continue;
    }
    if (req.fast && present) {
      const pfn = ptePfn(pt!.ptes[pteIndex(a)]!);
      if (pfn !== ZERO_PFN) k.policies.refcount.gupGrab(k, pfn, 1, kind, true, false);
      pfns[j++] = pfn;
      a += PAGE_SIZE;
      continue;
    }
    // Slow path: fault in (breaking CoW for a write pin), then follow_page under the PT lock.
    let pfn: number;
    let error: GupError = 'ENOMEM';
    if (vma.kind === 'shmem') {
      const sigbus = k.outcomes.get('fault').reasons['sigbus'] ?? 0;
      pfn = shmemFault(k, mm, vma, a, req.write);
      if (pfn < 0 && (k.outcomes.get('fault').reasons['sigbus'] ?? 0) > sigbus) error = 'EFAULT';
    } else {
      pfn = faultInAnon(k, mm, vma, a, write);
      if (unshare && pfn >= 0) pfn = unshareAnon(k, mm, vma, a);
    }
    if (pfn < 0) {
      releaseGrabbed(k, pfns, j, kind);
      return error;
    }
    k.ledger.spinLock(GUP_PTL);
    if (pfn !== ZERO_PFN) k.policies.refcount.gupGrab(k, pfn, 1, kind, false, false);
    k.ledger.spinUnlock();
    pfns[j++] = pfn;
    a += PAGE_SIZE;
  }
  // check_and_migrate_movable_pages: a FOLL_LONGTERM pin may not stay in CMA; migrate, then pin again (-EAGAIN).
  if (req.longterm && k.params.longtermMigratesCma && !req.noMigrate && migrateLongtermUnpinnable(k, pfns, kind))
    return gupRange(k, mm, { ...req, noMigrate: true }, kind);
  return pfns;
}

/** Drops the first `n` grabs of a GUP that failed part-way (unpin_user_pages / put_page of what it got). */
function releaseGrabbed(k: Kernel, pfns: Int32Array, n: number, kind: GupKind): void {
  for (let i = 0; i < n; i++) if (pfns[i] !== ZERO_PFN) k.policies.refcount.gupRelease(k, pfns[i]!, kind);
}

/** A GUP (or `n` direct I/Os) that failed with `reason`: the outcome counted and a `gup_failed` observation. */
export function gupFailed(k: Kernel, mm: MM, addr: number, len: number, via: 'pin' | 'get' | 'dio', reason: GupError, n = 1): void {
  k.outcomes.record(via === 'dio' ? 'dio' : 'gup', false, reason, n);
  k.emit({ type: 'gup_failed', pid: mm.pid, addr, len, via, reason });
}

/**
 * check_vma_flags for a FOLL_WRITE GUP (no FOLL_FORCE): a VMA of the range
 * that is not writable fails the GUP with -EFAULT, before any page is
 * touched. Every user of a range pin (io_uring, vfio, gup_test) treats a
 * short pin as failure and unpins what it got, so the model's GUP is all
 * or nothing. Returns true when refused, after recording the outcome
 * (`gup`, or `dio` for `n` I/Os) and the observation. The range must be
 * mapped (requireMapped).
 */
export function gupRefused(k: Kernel, mm: MM, addr: number, len: number, write: boolean, via: 'pin' | 'get' | 'dio', n = 1): boolean {
  if (!write) return false;
  for (let a = addr; a < addr + len;) {
    const vma = mm.findVma(a)!;
    if (!vma.write) {
      gupFailed(k, mm, addr, len, via, 'EFAULT', n);
      return true;
    }
    a = vma.end;
  }
  return false;
}

export function gupRelease(k: Kernel, h: GupHandle): void {
  for (let i = 0; i < h.pfns.length; i++) {
    const pfn = h.pfns[i]!;
    if (pfn !== ZERO_PFN) k.policies.refcount.gupRelease(k, pfn, h.kind);
  }
}

/** Whether `mm` maps page `pfn` at `addr` (a PTE, or inside a huge PMD). */
function mapsAt(mm: MM, addr: number, pfn: number): boolean {
  const pt = mm.pt(addr);
  if (!pt) return false;
  if (pt.pmd > 0) return ptePfn(pt.pmd) + pteIndex(addr) === pfn;
  const v = pt.ptes[pteIndex(addr)]!;
  return ptePresent(v) && ptePfn(v) === pfn;
}

/**
 * A device write through the pin (unpin with dirty): new data lands in the
 * pinned frames. A shmem page: the file holds it while the page is in its
 * cache, for every process mapping it. An anon page: the pinning process
 * expects it where it sees the pinned page (h.at). Two things can break
 * that, and both are the design's outcome, not a model error:
 *   - missed: the process maps another page there now (a CoW after fork
 *     moved it away from the pinned page: GUP vs. CoW before 5.9, where
 *     70e806e4e645 "mm: Do early cow for pinned pages during fork() for
 *     ptes" makes fork copy a maybe-pinned page for the child; or a
 *     FOLL_GET reference, which fork never looks at);
 *   - leaked: another process maps the pinned page and sees a write it
 *     never made (the child of a fork, CVE-2020-29374's direction).
 * Each such page's token joins incoherentDmaTokens and the unpin counts as a
 * failed `dma_write` with a `gup_incoherent` observation; an `expect
 * contentIntact` still reports the loss, the content invariant does not.
 */
export function dmaWrite(k: Kernel, h: GupHandle): void {
  const f = k.frames;
  const mm = k.mms.get(h.pid);
  let missed = 0;
  let leaked = 0;
  // One rmap walk per folio, not per page (a THP pinned whole is 512 pages of one folio).
  let mapsOf = -1;
  let maps: ReturnType<typeof folioMappings> = [];
  for (let i = 0; i < h.pfns.length; i++) {
    const pfn = h.pfns[i]!;
    if (pfn === ZERO_PFN) continue;
    const tok = k.nextToken();
    f.content[pfn] = tok;
    const head = f.head(pfn);
    if (f.test(head, PG.shmem)) {
      const file = k.fileById(f.mapping[head]!);
      const index = f.index[head]!;
      if (file && file.cache.get(index) === head) file.shadow.set(index + (pfn - head), tok);
      continue;
    }
    const at = h.at ? h.at[i]! : h.addr + i * PAGE_SIZE;
    let incoherent = false;
    if (mm && at >= 0) {
      const pt = mm.pt(at);
      if (pt && mm.findVma(at)?.kind === 'anon') pt.shadow[pteIndex(at)] = tok;
      if (!mapsAt(mm, at, pfn)) {
        missed++;
        incoherent = true;
      }
    }
    if (head !== mapsOf) {
      mapsOf = head;
      maps = folioMappings(k, head);
    }
    for (const m of maps) {
      const a = m.pmd ? m.addr + (pfn - head) * PAGE_SIZE : m.addr;
      if (!m.pmd && ptePfn(m.pte) !== pfn) continue;
      if (m.mm === mm && a === at) continue;
      leaked++;
      incoherent = true;
      break;
    }
    if (incoherent) k.incoherentDmaTokens.add(tok);
  }
  if (missed + leaked === 0) {
    k.outcomes.record('dma_write', true);
    return;
  }
  k.outcomes.record('dma_write', false, missed > 0 ? 'missed' : 'leaked');
  k.emit({ type: 'gup_incoherent', pid: h.pid, addr: h.addr, via: h.kind, missed, leaked });
}

/**
 * O_DIRECT of one range, `count` times: the block layer grabs the user
 * pages and drops them at I/O completion. Up to 5.x, fs/direct-io.c takes
 * FOLL_GET references with gup_fast and then two more get_page() per page
 * (submit_page_section, dio_bio_add_page) before three put_page() (S7);
 * with FOLL_PIN (iov_iter_extract_pages) it is one pin and one unpin.
 */
export function dio(k: Kernel, mm: MM, addr: number, len: number, write: boolean, count: number): void {
  const req: GupRequest = { pid: mm.pid, addr, len, write: !write, fast: true, longterm: false };
  // A read from the file writes the user buffer: a read-only buffer fails every I/O with -EFAULT.
  if (gupRefused(k, mm, addr, len, req.write, 'dio', count)) return;
  const pin = k.params.follPin;
  const rc = k.policies.refcount;
  const pm = k.policies.pinnedMigration;
  for (let c = 0; c < count; c++) {
    const pfns = gupRange(k, mm, req, pin ? 'pin' : 'get');
    if (typeof pfns === 'string') {
      // The I/Os done so far succeeded; this one and the rest fail as the first did (the loop would repeat it).
      if (c > 0) k.outcomes.record('dio', true, undefined, c);
      gupFailed(k, mm, addr, len, 'dio', pfns, count - c);
      return;
    }
    // A design whose pin owners cover O_DIRECT registers the request's pages and unregisters them at completion.
    if (pm.onGupPin) {
      const h: GupHandle = { kind: pin ? 'pin' : 'get', pid: mm.pid, addr, pfns, longterm: false, write: req.write };
      pm.onGupPin(k, 'dio', h, true);
      pm.onGupPin(k, 'dio', h, false);
    }
    for (let i = 0; i < pfns.length; i++) {
      const pfn = pfns[i]!;
      if (pfn === ZERO_PFN) continue;
      if (pin) {
        rc.gupRelease(k, pfn, 'pin');
        continue;
      }
      rc.getPage(k, pfn);
      rc.getPage(k, pfn);
      rc.putPage(k, pfn);
      rc.putPage(k, pfn);
      rc.gupRelease(k, pfn, 'get');
    }
  }
  k.outcomes.record('dio', true, undefined, count);
}

const GRAB_FAST = site('gup_fast.try_grab_folio');
const GRAB_SLOW = site('follow_page.try_grab_folio');
const GRAB_REF = site('folio_set_referenced');
const UNPIN = site('unpin_user_page');
const PUT_GUP = site('put_page.gup');

/**
 * try_grab_folio(_fast) on a head-refcounted folio (4.5+): FOLL_GET adds
 * `refs` to the head; FOLL_PIN on a large folio also adds to _pincount, on a
 * small one adds GUP_PIN_COUNTING_BIAS per pin. The fast path on a PMD leaf
 * also marks the folio referenced.
 */
export function grabFolioRefs(k: Kernel, pfn: number, refs: number, kind: GupKind, fast: boolean, pmdLeaf: boolean): void {
  const f = k.frames;
  const head = f.head(pfn);
  const s = fast ? GRAB_FAST : GRAB_SLOW;
  const large = f.order(head) >= 2;
  if (kind === 'pin' && !large) k.ledger.atomicAdd(f.refcount, head, refs * GUP_PIN_COUNTING_BIAS, s);
  else k.ledger.atomicAdd(f.refcount, head, refs, s);
  if (kind === 'pin' && large) k.ledger.atomicAdd(f.pincount, head + 1, refs, s);
  if (fast && pmdLeaf) k.ledger.setBit(f.flags, head, PG.referenced, GRAB_REF);
}

/** gup_put_folio: drop one FOLL_GET reference or one FOLL_PIN pin. */
export function putFolioRef(k: Kernel, pfn: number, kind: GupKind): void {
  const f = k.frames;
  const head = f.head(pfn);
  if (kind === 'pin') {
    if (f.order(head) >= 2) {
      k.ledger.atomicDec(f.pincount, head + 1, UNPIN);
      k.folioPutRefs(head, 1, UNPIN);
    } else k.folioPutRefs(head, GUP_PIN_COUNTING_BIAS, UNPIN);
    return;
  }
  k.folioPutRefs(head, 1, PUT_GUP);
}
