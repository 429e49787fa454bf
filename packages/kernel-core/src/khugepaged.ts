/**
 * khugepaged and MADV_COLLAPSE for anonymous memory (mm/khugepaged.c):
 * the scanner's cursor over every process (khugepaged_scan), the per-range
 * scan (hpage_collapse_scan_pmd) and the collapse (collapse_huge_page with
 * __collapse_huge_page_isolate / _copy). Shmem ranges are handed to
 * khugepaged_file.ts (collapse_file).
 *
 * Which pages may be collapsed is an era parameter (`khugepagedAccepts`):
 *   'exclusive' (<= 5.7, T49): every page small (SCAN_PAGE_COMPOUND) and
 *       page_count == 1 + PageSwapCache (SCAN_PAGE_COUNT), so any sharing
 *       across fork or any extra reference refuses the range;
 *   'shared' (>= 5.8, T61/T612): shared pages allowed up to max_ptes_shared,
 *       asked per PTE of the design's sharedness policy; PTE-mapped large
 *       folios allowed; is_refcount_suitable: refcount == folio_mapcount
 *       (+ nr_pages in the swap cache).
 * `khugepagedSwapIn` false (3.13 / 4.4) refuses any swap PTE as the 4.4 scan
 * did (SCAN_PTE_NON_PRESENT); true counts them against max_ptes_swap and
 * swaps them in before collapsing.
 *
 * Every scan also asks the precise question (page_mapcount(page) > 1) next
 * to the policy's, and counts where they differ (k.sharednessDivergence).
 */
import type { Kernel } from './kernel.js';
import type { KhugepagedScanState } from './subsystem_state.js';
import { faultInAnon, thpAllowed } from './fault.js';
import { pageMapcount, totalMapcount } from './folio.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
// Shmem ranges (hpage_collapse_scan_file + collapse_file): khugepaged_file.ts does the scan,
// the collapse and their emissions; khugepaged.ts emits the `khugepaged_scan` observation and
// records the 'collapse' outcome for every range, file ones included (see scanRange).
import { collapseFileRange } from './khugepaged_file.js';
import { site } from './ledger.js';
import type { MM, PageTable, Vma } from './mm.js';
import { mkPte, ptePfn, pteSwap, pteWrite, pteYoung } from './pte.js';
import { ZERO_PFN, addRmapPmd, removeRmapPtes } from './rmap.js';

/** enum scan_result (mm/khugepaged.c): the codes this model produces. */
export type ScanResult =
  | 'SCAN_FAIL'
  | 'SCAN_SUCCEED'
  | 'SCAN_PMD_NULL'
  | 'SCAN_PMD_MAPPED'
  | 'SCAN_EXCEED_NONE_PTE'
  | 'SCAN_EXCEED_SWAP_PTE'
  | 'SCAN_EXCEED_SHARED_PTE'
  | 'SCAN_PTE_NON_PRESENT'
  | 'SCAN_PTE_MAPPED_HUGEPAGE'
  | 'SCAN_PAGE_RO'
  | 'SCAN_LACK_REFERENCED_PAGE'
  | 'SCAN_PAGE_NULL'
  | 'SCAN_PAGE_COUNT'
  | 'SCAN_PAGE_LRU'
  | 'SCAN_PAGE_LOCK'
  | 'SCAN_PAGE_ANON'
  | 'SCAN_PAGE_COMPOUND'
  | 'SCAN_VMA_NULL'
  | 'SCAN_VMA_CHECK'
  | 'SCAN_ADDRESS_RANGE'
  | 'SCAN_DEL_PAGE_LRU'
  | 'SCAN_ALLOC_HUGE_PAGE_FAIL'
  | 'SCAN_TRUNCATED'
  | 'SCAN_PAGE_HAS_PRIVATE'
  | 'SCAN_STORE_FAILED'
  | 'SCAN_PAGE_FILLED';

/** struct collapse_control: who asked. MADV_COLLAPSE ignores max_ptes_* and the referenced requirement. */
export interface CollapseControl {
  readonly isKhugepaged: boolean;
}

export const KHUGEPAGED_CC: CollapseControl = { isKhugepaged: true };
export const MADV_COLLAPSE_CC: CollapseControl = { isKhugepaged: false };

/** What one scan of a PMD range saw (the trace_mm_khugepaged_scan_pmd fields). */
export interface ScanReport {
  result: ScanResult;
  none: number;
  swap: number;
  shared: number;
  referenced: number;
  writable: boolean;
  /** hpage_collapse_find_target_node: the node most scanned pages live on. */
  nid: number;
  /** PTEs the precise per-page rule (page_mapcount > 1) calls shared, asked alongside the policy. */
  preciseShared: number;
}

const SCAN_MMAP_LOCK = site('khugepaged_scan_mm_slot.mmap_read_lock');
const SCAN_PTL = site('hpage_collapse_scan_pmd.ptl');
const COLLAPSE_MMAP_LOCK = site('collapse_huge_page.mmap_lock');
const COLLAPSE_ANON_VMA = site('collapse_huge_page.anon_vma_lock');
const COLLAPSE_PMD_LOCK = site('collapse_huge_page.pmd_lock');
const COLLAPSE_PTL = site('collapse_huge_page.ptl');
const COLLAPSE_PUT = site('collapse_huge_page.folio_put');
const ISOLATE_LOCK = site('__collapse_huge_page_isolate.folio_trylock');
const ISOLATE_GET = site('__collapse_huge_page_isolate.folio_isolate_lru');
const RELEASE_PUT = site('release_pte_folio.folio_putback_lru');
const COPY_PTL = site('__collapse_huge_page_copy_succeeded.ptl');
const COPY_PUT = site('__collapse_huge_page_copy_succeeded.free_page');

// ------------------------------------------------------------------ khugepaged

/** khugepaged_scan: the one cursor (process, next address) and the thread's counters, a named field of the Kernel. */
function cursorOf(k: Kernel): KhugepagedScanState {
  return k.khugepaged;
}

/** khugepaged's sysfs counters (full_scans, pages_collapsed) and where its cursor stands. */
export function khugepagedStats(k: Kernel): { fullScans: number; pagesCollapsed: number; cursor: { pid: number; addr: number } } {
  const c = cursorOf(k);
  return { fullScans: c.fullScans, pagesCollapsed: c.pagesCollapsed, cursor: { pid: c.pid, addr: c.addr } };
}

interface Range {
  mm: MM;
  vma: Vma;
  base: number;
}

/**
 * The first PMD range at or after (pid, addr), in pid then address order,
 * fully inside a VMA where khugepaged may place a THP (thp_vma_allowable_order
 * with sysfs enforced): anon under thp.enabled, shmem under thp.shmem_enabled.
 */
function nextRange(k: Kernel, pid: number, addr: number, only?: number): Range | null {
  const pids = only !== undefined ? (k.mms.has(only) ? [only] : []) : [...k.mms.keys()].sort((a, b) => a - b);
  for (const p of pids) {
    if (p < pid) continue;
    const mm = k.mms.get(p)!;
    const from = p === pid ? addr : 0;
    for (const vma of mm.vmas) {
      const hend = Math.floor(vma.end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
      if (hend <= from) continue;
      let base = Math.max(Math.ceil(vma.start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE, from);
      for (; base < hend; base += HPAGE_PMD_SIZE) if (thpAllowed(k, vma, base)) return { mm, vma, base };
    }
  }
  return null;
}

/**
 * khugepaged_do_scan, `passes` times: each pass scans up to
 * khugepaged.pages_to_scan pages worth of PMD ranges (512 per range),
 * resuming where the previous pass stopped. Like the kernel's
 * pass_through_head, a pass that reaches the end of the process list goes
 * round once more only if it did not start at the head. With `pid`, only
 * that process is scanned.
 */
export function khugepaged(k: Kernel, passes: number, pid?: number): void {
  const c = cursorOf(k);
  const pages = k.settings['khugepaged.pages_to_scan'];
  const headPid = pid ?? -1;
  for (let pass = 0; pass < passes; pass++) {
    if (pid !== undefined && c.pid !== pid) {
      c.pid = pid;
      c.addr = 0;
    }
    const startedAtHead = c.pid === headPid && c.addr === 0;
    let wrapped = false;
    let progress = 0;
    while (progress < pages) {
      const r = nextRange(k, c.pid, c.addr, pid);
      if (!r) {
        c.fullScans++;
        c.pid = headPid;
        c.addr = 0;
        if (startedAtHead || wrapped) break;
        wrapped = true;
        continue;
      }
      c.pid = r.mm.pid;
      c.addr = r.base + HPAGE_PMD_SIZE;
      if (scanRange(k, r.mm, r.vma, r.base, KHUGEPAGED_CC) === 'SCAN_SUCCEED') c.pagesCollapsed += HPAGE_PMD_NR;
      progress += HPAGE_PMD_NR;
    }
  }
}

/** madvise_collapse's results that let it go on with the next range; any other stops it. */
const MADV_COLLAPSE_CONTINUE = new Set<ScanResult>([
  'SCAN_SUCCEED',
  'SCAN_PMD_MAPPED',
  'SCAN_PMD_NULL',
  'SCAN_PTE_NON_PRESENT',
  'SCAN_PAGE_RO',
  'SCAN_LACK_REFERENCED_PAGE',
  'SCAN_PAGE_NULL',
  'SCAN_PAGE_COUNT',
  'SCAN_PAGE_LOCK',
  'SCAN_PAGE_COMPOUND',
  'SCAN_PAGE_LRU',
  'SCAN_DEL_PAGE_LRU',
]);

/**
 * MADV_COLLAPSE (madvise_collapse): synchronously collapse every PMD range
 * of [addr, addr+len) that lies wholly in one VMA. The sysfs "enabled" mode
 * is not enforced, VM_NOHUGEPAGE is (SCAN_VMA_CHECK). max_ptes_none/swap/
 * shared and the referenced requirement are ignored; the refcount check is
 * not (S19). Returns the number of ranges now PMD-mapped.
 */
export function madviseCollapse(k: Kernel, mm: MM, addr: number, len: number): number {
  const end = addr + len;
  let thps = 0;
  for (const vma of [...mm.vmas]) {
    if (vma.end <= addr || vma.start >= end) continue;
    const hstart = Math.ceil(Math.max(vma.start, addr) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    const hend = Math.floor(Math.min(vma.end, end) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    for (let base = hstart; base < hend; base += HPAGE_PMD_SIZE) {
      let result: ScanResult;
      if (vma.nohugepage) {
        result = 'SCAN_VMA_CHECK';
        report(k, mm, base, MADV_COLLAPSE_CC, { ...emptyReport(k, mm), result }, vma.kind === 'shmem');
      } else result = scanRange(k, mm, vma, base, MADV_COLLAPSE_CC);
      if (result === 'SCAN_SUCCEED' || result === 'SCAN_PMD_MAPPED') thps++;
      if (!MADV_COLLAPSE_CONTINUE.has(result)) return thps;
    }
  }
  return thps;
}

// ------------------------------------------------------------------ one range

function emptyReport(k: Kernel, mm: MM): ScanReport {
  return { result: 'SCAN_FAIL', none: 0, swap: 0, shared: 0, referenced: 0, writable: false, nid: k.homeNode(mm), preciseShared: 0 };
}

/** Results that mean a collapse was attempted and judged (not "already huge" or "nothing here"). */
function attempted(r: ScanResult): boolean {
  return r !== 'SCAN_PMD_MAPPED' && r !== 'SCAN_PMD_NULL';
}

function report(k: Kernel, mm: MM, base: number, cc: CollapseControl, r: ScanReport, file: boolean, present?: number): void {
  k.emit({
    type: 'khugepaged_scan',
    pid: mm.pid,
    addr: base,
    result: r.result,
    none: r.none,
    swap: r.swap,
    shared: r.shared,
    referenced: r.referenced,
    writable: r.writable,
    caller: cc.isKhugepaged ? 'khugepaged' : 'madvise_collapse',
    ...(file ? { file: true, present: present ?? 0 } : {}),
  });
  if (attempted(r.result)) k.outcomes.record('collapse', r.result === 'SCAN_SUCCEED', r.result === 'SCAN_SUCCEED' ? undefined : r.result);
}

/**
 * One PMD range: scan, and collapse when the scan says so. Emits one
 * `khugepaged_scan` observation and records the 'collapse' outcome.
 */
function scanRange(k: Kernel, mm: MM, vma: Vma, base: number, cc: CollapseControl): ScanResult {
  if (vma.kind === 'shmem') {
    // Shmem: khugepaged_file.ts does scan and collapse; only the observation and outcome are ours.
    const fr = collapseFileRange(k, mm, vma, base, cc);
    report(k, mm, base, cc, { ...emptyReport(k, mm), result: fr.result, none: fr.none, swap: fr.swap }, true, fr.present);
    return fr.result;
  }
  k.ledger.downRead(SCAN_MMAP_LOCK);
  const r = scanPmd(k, mm, base, cc);
  // collapse_huge_page drops mmap_lock before allocating.
  k.ledger.upRead(SCAN_MMAP_LOCK);
  if (r.result === 'SCAN_SUCCEED') {
    r.result = collapseHugePage(k, mm, vma, base, r, cc);
    // A collapse the precise rule would have refused: its copies of shared data and its zero fill are the divergence's waste.
    if (
      r.result === 'SCAN_SUCCEED' &&
      cc.isKhugepaged &&
      k.params.khugepagedAccepts === 'shared' &&
      r.preciseShared > k.settings['khugepaged.max_ptes_shared']
    ) {
      const d = k.sharednessDivergence;
      d.collapsesOnlyByPolicy++;
      d.duplicatedBytes += r.preciseShared * PAGE_SIZE;
      d.zeroFilledBytes += r.none * PAGE_SIZE;
    }
  }
  report(k, mm, base, cc, r, false);
  return r.result;
}

/**
 * is_refcount_suitable (>= 5.8): every reference is a mapping, or the swap
 * cache's. <= 5.7 (small pages only): page_count == 1 + PageSwapCache.
 */
function refcountSuitable(k: Kernel, head: number): boolean {
  const f = k.frames;
  const swapcache = f.test(head, PG.swapcache);
  if (k.params.khugepagedAccepts === 'exclusive') return f.refcount[head] === 1 + (swapcache ? 1 : 0);
  return f.refcount[head] === totalMapcount(f, head) + (swapcache ? f.nrPages(head) : 0);
}

function isNoneOrZero(v: number): boolean {
  return v === 0 || (v > 0 && ptePfn(v) === ZERO_PFN);
}

/**
 * hpage_collapse_scan_pmd, under the PTE lock: the per-PTE acceptance rules
 * of the era. Stops at the first refusal, with the counts seen so far.
 */
function scanPmd(k: Kernel, mm: MM, base: number, cc: CollapseControl): ScanReport {
  const r = emptyReport(k, mm);
  const pt = mm.pt(base);
  if (!pt) {
    r.result = 'SCAN_PMD_NULL';
    return r;
  }
  if (pt.pmd > 0) {
    r.result = 'SCAN_PMD_MAPPED';
    return r;
  }
  const f = k.frames;
  const s = k.settings;
  const sharedEra = k.params.khugepagedAccepts === 'shared';
  const maxNone = cc.isKhugepaged ? s['khugepaged.max_ptes_none'] : HPAGE_PMD_NR;
  const maxSwap = cc.isKhugepaged ? s['khugepaged.max_ptes_swap'] : HPAGE_PMD_NR;
  const maxShared = cc.isKhugepaged ? s['khugepaged.max_ptes_shared'] : HPAGE_PMD_NR;
  const sharedness = k.policies.sharedness;
  const nodeLoad = new Int32Array(k.nodes);
  // Sharedness questions asked in this scan: the policy's answers and the precise ones.
  let asked = 0,
    policyShared = 0,
    preciseShared = 0,
    falseNeg = 0,
    falsePos = 0;
  // is_refcount_suitable is a folio property: ask once per run of PTEs into the same folio.
  let lastHead = -1,
    lastSuitable = false;

  // The per-PTE rules, under the PTE lock: a plain loop (not a closure), since it runs for every PTE of every range.
  k.ledger.spinLock(SCAN_PTL);
  let result: ScanResult | null = null;
  let none = 0,
    swap = 0,
    shared = 0,
    referenced = 0,
    writable = false;
  const khugepagedSwapIn = k.params.khugepagedSwapIn;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (pteSwap(v)) {
      swap++;
      // 3.13 / 4.4: no swap-in; a non-present PTE ends the scan.
      if (!khugepagedSwapIn) {
        result = 'SCAN_PTE_NON_PRESENT';
        break;
      }
      if (swap > maxSwap) {
        result = 'SCAN_EXCEED_SWAP_PTE';
        break;
      }
      continue;
    }
    if (isNoneOrZero(v)) {
      if (++none > maxNone) {
        result = 'SCAN_EXCEED_NONE_PTE';
        break;
      }
      continue;
    }
    if (pteWrite(v)) writable = true;
    const pfn = ptePfn(v);
    const head = f.head(pfn);
    if (f.test(pfn, PG.hwpoison) || f.refcount[head] === 0) {
      result = 'SCAN_PAGE_NULL';
      break;
    }
    if (!f.test(head, PG.anon)) {
      result = 'SCAN_PAGE_ANON';
      break;
    }
    if (sharedEra) {
      // "We treat a single page as shared if any part of the THP is shared" (the policy decides how).
      const mine = sharedness.mappedShared(k, pfn);
      const precise = pageMapcount(f, pfn) > 1;
      asked++;
      if (mine) policyShared++;
      if (precise) preciseShared++;
      if (precise && !mine) falseNeg++;
      if (mine && !precise) falsePos++;
      if (mine && ++shared > maxShared) {
        result = 'SCAN_EXCEED_SHARED_PTE';
        break;
      }
    } else if (f.order(head) > 0) {
      result = 'SCAN_PAGE_COMPOUND'; // "TODO: teach khugepaged to collapse THP mapped with pte"
      break;
    }
    nodeLoad[k.nid(pfn)]!++;
    if (!f.test(head, PG.lru)) {
      result = 'SCAN_PAGE_LRU';
      break;
    }
    if (f.test(head, PG.locked)) {
      result = 'SCAN_PAGE_LOCK';
      break;
    }
    if (head !== lastHead) {
      lastHead = head;
      lastSuitable = refcountSuitable(k, head);
    }
    if (!lastSuitable) {
      result = 'SCAN_PAGE_COUNT';
      break;
    }
    if (pteYoung(v) || f.test(head, PG.referenced)) referenced++;
  }
  if (result === null) {
    if (!writable && !k.params.collapseReadOnly) result = 'SCAN_PAGE_RO';
    else if (cc.isKhugepaged && (referenced === 0 || (swap > 0 && referenced < HPAGE_PMD_NR / 2))) result = 'SCAN_LACK_REFERENCED_PAGE';
    else result = 'SCAN_SUCCEED';
  }
  r.result = result;
  r.none = none;
  r.swap = swap;
  r.shared = shared;
  r.referenced = referenced;
  r.writable = writable;
  k.ledger.spinUnlock();

  // hpage_collapse_find_target_node: the first node holding the most scanned pages.
  let best = 0;
  for (let n = 0; n < k.nodes; n++) {
    if (nodeLoad[n]! > best) {
      best = nodeLoad[n]!;
      r.nid = n;
    }
  }
  r.preciseShared = preciseShared;
  if (asked > 0) {
    const d = k.sharednessDivergence;
    d.questions += asked;
    d.falseNegatives += falseNeg;
    d.falsePositives += falsePos;
    if (falseNeg > 0 || falsePos > 0) {
      k.emit({
        type: 'sharedness.divergence',
        pid: mm.pid,
        addr: base,
        policy: sharedness.id,
        policyShared,
        preciseShared,
        falseNegatives: falseNeg,
        falsePositives: falsePos,
      });
    }
  }
  return r;
}

// ------------------------------------------------------------------ collapse

/**
 * hugepage_vma_revalidate + find_pmd_or_thp_or_none after mmap_lock was
 * retaken: the VMA still covers the range, may still have a THP there, is
 * anonymous with an anon_vma, and the range is still mapped by PTEs.
 */
function revalidate(k: Kernel, mm: MM, vma: Vma, base: number, cc: CollapseControl): ScanResult {
  const cur = mm.findVma(base);
  if (!cur) return 'SCAN_VMA_NULL';
  if (cur !== vma || base < vma.start || base + HPAGE_PMD_SIZE > vma.end) return 'SCAN_ADDRESS_RANGE';
  if (cc.isKhugepaged ? !thpAllowed(k, vma, base) : vma.nohugepage) return 'SCAN_VMA_CHECK';
  if (vma.kind !== 'anon' || !vma.anonVma) return 'SCAN_PAGE_ANON';
  const pt = mm.pt(base);
  if (!pt) return 'SCAN_PMD_NULL';
  if (pt.pmd > 0) return 'SCAN_PMD_MAPPED';
  return 'SCAN_SUCCEED';
}

/**
 * __collapse_huge_page_swapin: do_swap_page on every swap PTE of the range
 * (under mmap_lock for read). A failure leaves the swap entry, and the
 * collapse gives up (SCAN_FAIL).
 */
function swapinRange(k: Kernel, mm: MM, vma: Vma, base: number, pt: PageTable): ScanResult {
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    if (!pteSwap(pt.ptes[i]!)) continue;
    if (faultInAnon(k, mm, vma, base + i * PAGE_SIZE, false) < 0) return 'SCAN_FAIL';
  }
  return 'SCAN_SUCCEED';
}

/** Folios __collapse_huge_page_isolate took off the LRU and locked; large ones once each. */
interface Isolated {
  small: number[];
  large: number[];
}

/**
 * release_pte_folio for each isolated folio: unlock, put back on the LRU and
 * drop the isolation reference. The folio is still mapped, so it survives.
 */
function releasePteFolios(k: Kernel, iso: Isolated): void {
  const f = k.frames;
  for (const list of [iso.small, iso.large]) {
    for (const head of list) {
      k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
      k.lru.add(head, k.nid(head));
      k.folioPutRefs(head, 1, RELEASE_PUT);
    }
  }
}

/**
 * __collapse_huge_page_isolate, with the PMD cleared and the PTE lock held:
 * the scan's checks again (none, shared, refcount), then each folio is
 * locked (folio_trylock) and isolated from the LRU, which takes a
 * reference. A large folio is handled once however many PTEs map it.
 */
function isolatePtes(k: Kernel, pt: PageTable, cc: CollapseControl, iso: Isolated): ScanResult {
  const f = k.frames;
  const s = k.settings;
  const sharedEra = k.params.khugepagedAccepts === 'shared';
  const maxNone = cc.isKhugepaged ? s['khugepaged.max_ptes_none'] : HPAGE_PMD_NR;
  const maxShared = cc.isKhugepaged ? s['khugepaged.max_ptes_shared'] : HPAGE_PMD_NR;
  const seenLarge = new Set<number>();
  let none = 0,
    shared = 0,
    referenced = 0,
    writable = false;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (isNoneOrZero(v)) {
      if (++none > maxNone) return 'SCAN_EXCEED_NONE_PTE';
      continue;
    }
    if (pteSwap(v)) return 'SCAN_PTE_NON_PRESENT';
    const pfn = ptePfn(v);
    const head = f.head(pfn);
    if (f.test(pfn, PG.hwpoison) || f.refcount[head] === 0) return 'SCAN_PAGE_NULL';
    if (!f.test(head, PG.anon)) return 'SCAN_PAGE_ANON';
    const large = f.order(head) > 0;
    if (sharedEra) {
      if (k.policies.sharedness.mappedShared(k, pfn) && ++shared > maxShared) return 'SCAN_EXCEED_SHARED_PTE';
    } else if (large) return 'SCAN_PAGE_COMPOUND';
    if (!large || !seenLarge.has(head)) {
      if (!k.ledger.lockPage(f.flags, head, PG.locked, ISOLATE_LOCK)) return 'SCAN_PAGE_LOCK';
      if (!refcountSuitable(k, head)) {
        k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
        return 'SCAN_PAGE_COUNT';
      }
      if (!k.lru.del(head, k.nid(head))) {
        k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
        return 'SCAN_DEL_PAGE_LRU';
      }
      k.ledger.atomicInc(f.refcount, head, ISOLATE_GET); // folio_isolate_lru's folio_get
      if (large) {
        seenLarge.add(head);
        iso.large.push(head);
      } else iso.small.push(head);
    }
    if (pteYoung(v) || f.test(head, PG.referenced)) referenced++;
    if (pteWrite(v)) writable = true;
  }
  if (!writable && !k.params.collapseReadOnly) return 'SCAN_PAGE_RO';
  if (cc.isKhugepaged && referenced === 0) return 'SCAN_LACK_REFERENCED_PAGE';
  return 'SCAN_SUCCEED';
}

/**
 * collapse_huge_page: allocate the THP, swap in, take mmap_lock for write
 * and the anon_vma lock, clear and flush the PMD (pmdp_collapse_flush),
 * isolate, copy, unmap the old pages, and map the new folio by the PMD.
 * Any failure puts the page table back and frees the new folio.
 */
function collapseHugePage(k: Kernel, mm: MM, vma: Vma, base: number, scan: ScanReport, cc: CollapseControl): ScanResult {
  const l = k.ledger;
  const f = k.frames;
  const head = k.allocUserFolio(HPAGE_PMD_ORDER, scan.nid, true);
  if (head < 0) return 'SCAN_ALLOC_HUGE_PAGE_FAIL';
  k.emit({ type: 'thp_collapse_alloc', pid: mm.pid, addr: base, pfn: head });
  const freeNew = () => k.folioPutRefs(head, 1, COLLAPSE_PUT);

  l.downRead(COLLAPSE_MMAP_LOCK);
  let result = revalidate(k, mm, vma, base, cc);
  if (result === 'SCAN_SUCCEED' && scan.swap > 0) result = swapinRange(k, mm, vma, base, mm.pt(base)!);
  l.upRead(COLLAPSE_MMAP_LOCK);
  if (result !== 'SCAN_SUCCEED') {
    freeNew();
    return result;
  }

  l.downWrite(COLLAPSE_MMAP_LOCK);
  result = revalidate(k, mm, vma, base, cc);
  if (result !== 'SCAN_SUCCEED') {
    l.upWrite(COLLAPSE_MMAP_LOCK);
    freeNew();
    return result;
  }
  const pt = mm.pt(base)!;
  const av = vma.anonVma!;
  l.downWrite(COLLAPSE_ANON_VMA);
  // pmdp_collapse_flush: the PMD no longer points at the page table; GUP-fast backs off.
  l.spinLock(COLLAPSE_PMD_LOCK);
  l.tlbFlush();
  l.spinUnlock();

  const iso: Isolated = { small: [], large: [] };
  l.spinLock(COLLAPSE_PTL);
  result = isolatePtes(k, pt, cc, iso);
  l.spinUnlock();
  if (result !== 'SCAN_SUCCEED') {
    releasePteFolios(k, iso);
    l.spinLock(COLLAPSE_PMD_LOCK); // pmd_populate: the page table is back
    l.spinUnlock();
    l.upWrite(COLLAPSE_ANON_VMA);
    l.upWrite(COLLAPSE_MMAP_LOCK);
    freeNew();
    return result;
  }
  // Every folio is isolated and locked: the anon_vma rmap cannot reach them any more.
  l.upWrite(COLLAPSE_ANON_VMA);

  copyPtes(k, pt, head);
  copySucceeded(k, mm, pt, iso);

  // folio_add_new_anon_rmap(RMAP_EXCLUSIVE) of the new folio: not visible yet, plain stores.
  f.mapping[head] = av.id;
  f.index[head] = vma.pgoffOf(base);
  f.flags[head] = f.flags[head]! | (1 << PG.anon_exclusive);
  l.spinLock(COLLAPSE_PMD_LOCK);
  pt.pmd = mkPte(head, vma.write);
  addRmapPmd(k, mm, head); // the allocation reference becomes the PMD mapping's
  l.spinUnlock();
  l.upWrite(COLLAPSE_MMAP_LOCK);
  return 'SCAN_SUCCEED';
}

/**
 * __collapse_huge_page_copy: each present page's data goes to the same
 * offset of the new folio; none and zero-page slots are zero-filled
 * (clear_user_highpage, not counted as a copy).
 */
function copyPtes(k: Kernel, pt: PageTable, head: number): void {
  const f = k.frames;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (isNoneOrZero(v)) {
      f.content[head + i] = 0;
      continue;
    }
    f.content[head + i] = f.content[ptePfn(v)]!;
    k.ledger.copyPage();
  }
}

/**
 * __collapse_huge_page_copy_succeeded: clear every PTE, remove the old
 * pages' rmap and drop their mapping references. Small folios are released
 * from isolation first (one nobody else maps is simply freed, not put back
 * on the LRU); large ones after all their PTEs are gone — a large folio
 * another process still maps is left partially mapped and rmap queues it
 * for deferred split.
 */
function copySucceeded(k: Kernel, mm: MM, pt: PageTable, iso: Isolated): void {
  const f = k.frames;
  const l = k.ledger;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (v === 0) continue;
    const pfn = ptePfn(v);
    if (pfn === ZERO_PFN) {
      l.spinLock(COPY_PTL);
      pt.ptes[i] = 0;
      pt.used--;
      l.spinUnlock();
      continue;
    }
    const src = f.head(pfn);
    if (f.order(src) === 0) {
      // release_pte_folio: unlock, putback (only if someone else keeps it), drop the isolation reference.
      l.unlockPage(f.flags, src, PG.locked, ISOLATE_LOCK);
      if (f.refcount[src]! > 2) k.lru.add(src, k.nid(src));
      k.folioPutRefs(src, 1, RELEASE_PUT);
    }
    l.spinLock(COPY_PTL);
    pt.ptes[i] = 0;
    pt.used--;
    removeRmapPtes(k, mm, pfn, 1);
    l.spinUnlock();
    k.folioPutRefs(src, 1, COPY_PUT); // free_page_and_swap_cache
  }
  for (const src of iso.large) {
    l.unlockPage(f.flags, src, PG.locked, ISOLATE_LOCK);
    if (f.refcount[src]! > 1) k.lru.add(src, k.nid(src));
    k.folioPutRefs(src, 1, RELEASE_PUT);
  }
}
