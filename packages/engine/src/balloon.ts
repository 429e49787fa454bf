/**
 * The balloon meter: for a log that gives memory back (fallocate
 * PUNCH_HOLE on a shmem file, MADV_DONTNEED), how much it asked for, how
 * much the buddy allocator got, and how much came back afterwards — the
 * question of seed 001 (a QEMU balloon inflating shmem-THP guest RAM,
 * whose freed pages khugepaged may collapse straight back).
 *
 *   requestedBytes   bytes the requests covered (page-rounded);
 *   freedBytes       frames returned to the buddy allocator while a request
 *                    ran (free frames after minus before: measured from the
 *                    frames, so a zeroed-and-kept subpage, an unmapped page
 *                    of a THP whose split is deferred, or a pinned page frees
 *                    nothing);
 *   refilledBytes    pages a request left empty (no page-cache entry for a
 *                    file index, no present PTE or PMD for an anonymous
 *                    address) that are populated again later, by khugepaged
 *                    zero-filling a collapse, a huge fault, or the guest
 *                    touching them; each emptied page counts once until a
 *                    later request empties it again;
 *   recollapses      2 MiB ranges holding such pages that a khugepaged pass
 *                    or MADV_COLLAPSE made huge again;
 *   splitFailures    split_huge_page failures while a request ran;
 *   guestHugeCoverage  of the populated pages of the memory the requests
 *                    targeted (the punched files, the VMAs given
 *                    MADV_DONTNEED), the share backed by a PMD-sized folio.
 *
 * Rounds: a round opens at a request that follows something other than a
 * request (or an `expect`); it runs through the khugepaged passes that
 * follow its requests and closes at the first other event after them (or
 * at the next round's first request, when no khugepaged event came); its
 * coverage is measured there. Counts between that close and the next round
 * go to the round; after the last round closes (a deflation, say) they are
 * `afterRounds`.
 * Refills found by a khugepaged event count where it ran; others are found
 * when a round closes, when a later request covers the page, or at the end.
 *
 * The first MAX_BALLOON_ROUNDS rounds are listed one by one; a log with more
 * (a workload that drops a page now and then over millions of events) has
 * the rest summed in `laterRounds`, so the summary and the meter stay the
 * same size whatever the log's length. Totals count every round.
 */
import type { WorkloadEvent } from '@pagelab/events';
import { HPAGE_PMD_NR, type Kernel, type MM, type PageTable, PAGE_SIZE, ZERO_PFN, ptePfn, ptePresent } from '@pagelab/kernel-core';
import { type RangeMarks, RangeSet, bitsIn } from './range-marks.js';

export interface BalloonCounts {
  requestedBytes: number;
  freedBytes: number;
  refilledBytes: number;
  recollapses: number;
  splitFailures: number;
}

export interface BalloonRound extends BalloonCounts {
  /** 1-based */
  round: number;
  /** seq of the round's first request */
  firstSeq: number;
  /** guestHugeCoverage when the round closed */
  guestHugeCoverage: number;
}

/** Rounds past the listed ones, summed: how many, and the first one's seq. */
export interface BalloonLaterRounds extends BalloonCounts {
  rounds: number;
  firstSeq: number;
}

export interface BalloonSummary extends BalloonCounts {
  /** at the end of the log */
  guestHugeCoverage: number;
  /** the first MAX_BALLOON_ROUNDS rounds */
  rounds: BalloonRound[];
  /** only when the log had more rounds than are listed: the rest, summed (no coverage is measured at their close) */
  laterRounds?: BalloonLaterRounds;
  /** what happened after the last round closed */
  afterRounds: BalloonCounts;
}

/** Rounds listed one by one in the summary (the rest are summed in `laterRounds`). */
export const MAX_BALLOON_ROUNDS = 512;

type Phase = 'none' | 'requests' | 'open' | 'khugepaged' | 'between';

const zero = (): BalloonCounts => ({ requestedBytes: 0, freedBytes: 0, refilledBytes: 0, recollapses: 0, splitFailures: 0 });

function addCounts(into: BalloonCounts, c: BalloonCounts): void {
  // Field by field: a loop over Object.keys allocates its array at every round close.
  into.requestedBytes += c.requestedBytes;
  into.freedBytes += c.freedBytes;
  into.refilledBytes += c.refilledBytes;
  into.recollapses += c.recollapses;
  into.splitFailures += c.splitFailures;
}

function isRequest(e: WorkloadEvent): boolean {
  return e.type === 'fallocate' || (e.type === 'madvise' && e.advice === 'dontneed');
}

function isCollapse(e: WorkloadEvent): boolean {
  return e.type === 'khugepaged' || (e.type === 'madvise' && e.advice === 'collapse');
}

interface TableCensus {
  gen: number;
  /** bit i: PTE i maps guest memory (present, not the zero page) */
  readonly present: Uint32Array;
  /** bit i: and a large folio backs it */
  readonly huge: Uint32Array;
}

/** Whether a PTE maps guest memory: present, and not the shared zero page (a read of an empty anonymous page is no memory of the guest's). */
function guestPte(v: number): boolean {
  return ptePresent(v) && ptePfn(v) !== ZERO_PFN;
}

/** Whether entry `i` of an anonymous table holds guest memory: a huge PMD, or a guest PTE. */
function anonPopulated(pt: PageTable, i: number): boolean {
  return pt.pmd > 0 || guestPte(pt.ptes[i]!);
}

export class BalloonMeter {
  private readonly total = zero();
  private current: BalloonCounts = zero();
  private readonly rounds: BalloonRound[] = [];
  private later: BalloonLaterRounds | undefined;
  private tail: BalloonCounts = zero();
  private phase: Phase = 'none';
  private free0 = 0;
  private splitFailed0 = 0;
  /**
   * file name -> 2 MiB range (index / HPAGE_PMD_NR) -> page indexes a request
   * emptied. Grouped by range so that settling all marks (at every khugepaged
   * event) skips in one step a range that cannot have been refilled: a gone
   * file or mm, or a page table with no entry in use. Without that, marks left
   * by pages never refilled (a process that exited, a range unmapped) were
   * walked one by one at every khugepaged event: quadratic on long logs.
   */
  private readonly fileMarks = new Map<string, RangeSet<string>>();
  /**
   * pid -> 2 MiB range (addr / HPAGE_PMD_SIZE) -> page numbers (addr /
   * PAGE_SIZE) a request emptied. The marks belong to the address space
   * (`anonOwners`): once it exits they go, since nothing can refill them
   * (a later process given the same pid is not the guest refilling).
   */
  private readonly anonMarks = new Map<number, RangeSet<number>>();
  private readonly anonOwners = new Map<number, MM>();
  /** the memory requests targeted: files, and per address space the start of each anonymous VMA */
  private readonly guestFiles = new Set<string>();
  private readonly guestVmas = new Map<number, { readonly mm: MM; readonly starts: Set<number> }>();
  private marks = 0;
  /** per anonymous page table: its census at the generation it was taken (tableCensus) */
  private readonly census = new WeakMap<PageTable, TableCensus>();
  private result_: BalloonSummary | null = null;

  /**
   * `exhaustive`: never skip a range at a settle, re-read every mark (the
   * reference the skipping meter is tested against; same counts, slower).
   */
  constructor(private readonly exhaustive = false) {}

  /** Whether any request was seen (the summary has a `balloon` block only then). */
  get active(): boolean {
    return this.phase !== 'none';
  }

  /** Before event `seq` (1-based) is applied. */
  before(k: Kernel, e: WorkloadEvent, seq: number): void {
    if (!isRequest(e)) {
      // A round closes before the first event after its khugepaged passes, so that event's refills are not the round's.
      if (this.phase === 'none' || isCollapse(e) || e.type === 'expect') return;
      if (this.phase === 'requests') this.phase = 'open';
      else if (this.phase === 'khugepaged') {
        this.closeRound(k);
        this.phase = 'between';
      }
      return;
    }
    if (this.phase !== 'requests') this.openRound(k, seq);
    this.phase = 'requests';
    // A page refilled since and emptied again by this request counts as refilled first.
    this.forEachSlot(k, e, false);
    this.free0 = k.buddy.freeFrames();
    this.splitFailed0 = k.outcomes.get('split_page').failed;
  }

  after(k: Kernel, e: WorkloadEvent): void {
    if (isRequest(e)) {
      const c = this.current;
      const bytes = this.requestBytes(k, e);
      c.requestedBytes += bytes;
      this.total.requestedBytes += bytes;
      const freed = (k.buddy.freeFrames() - this.free0) * PAGE_SIZE;
      c.freedBytes += Math.max(0, freed);
      this.total.freedBytes += Math.max(0, freed);
      const failed = k.outcomes.get('split_page').failed - this.splitFailed0;
      c.splitFailures += failed;
      this.total.splitFailures += failed;
      this.forEachSlot(k, e, true);
      return;
    }
    if (this.phase === 'none' || !isCollapse(e)) return;
    if (this.marks > 0) this.settleAll(k, true);
    if (this.phase === 'requests' || this.phase === 'open') this.phase = 'khugepaged';
  }

  /** The summary's `balloon` block (closes the last round; later calls return the same object). */
  result(k: Kernel): BalloonSummary | undefined {
    if (this.phase === 'none') return undefined;
    if (this.result_) return this.result_;
    if (this.phase !== 'between') this.closeRound(k);
    else this.settleAll(k, false);
    this.result_ = {
      ...this.total,
      guestHugeCoverage: this.coverage(k),
      rounds: this.rounds,
      ...(this.later ? { laterRounds: this.later } : {}),
      afterRounds: this.tail,
    };
    return this.result_;
  }

  // ------------------------------------------------------------ rounds

  private openRound(k: Kernel, seq: number): void {
    if (this.phase === 'open' || this.phase === 'khugepaged') this.closeRound(k);
    else if (this.phase === 'between') {
      // What happened between two rounds belongs to the earlier one (its coverage stays the one measured at its close).
      this.settleAll(k, false);
      addCounts(this.later ?? this.rounds[this.rounds.length - 1]!, this.tail);
      this.tail = zero();
    }
    this.current = zero();
    if (this.rounds.length < MAX_BALLOON_ROUNDS) this.rounds.push({ round: this.rounds.length + 1, firstSeq: seq, ...this.current, guestHugeCoverage: 0 });
    else if (this.later) this.later.rounds++;
    else this.later = { rounds: 1, firstSeq: seq, ...zero() };
  }

  /** Settles every mark and writes the open round's counts (and coverage) into its record; later counts go to the tail. */
  private closeRound(k: Kernel): void {
    this.settleAll(k, false);
    if (this.later) addCounts(this.later, this.current);
    else Object.assign(this.rounds[this.rounds.length - 1]!, this.current, { guestHugeCoverage: this.coverage(k) });
    this.current = this.tail = zero();
  }

  // ------------------------------------------------------------ slots

  /**
   * Every page a request covers, settled (a marked page populated again is
   * refilled) or, with `mark`, marked when empty: a file page one by one by
   * (file, index); the anonymous pages of one VMA as a span of page numbers
   * (addr / PAGE_SIZE), reading each 2 MiB range's table once. No closures:
   * a function that makes one allocates its context on every call, and
   * before/after run at every event.
   */
  private forEachSlot(k: Kernel, e: WorkloadEvent, mark: boolean): void {
    if (e.type === 'fallocate') {
      if (!k.files.has(e.file)) return;
      this.guestFiles.add(e.file);
      const end = Math.ceil((e.offset + e.len) / PAGE_SIZE);
      for (let idx = Math.floor(e.offset / PAGE_SIZE); idx < end; idx++) this.fileSlot(k, e.file, idx, mark);
      return;
    }
    if (e.type !== 'madvise') return;
    const mm = k.mms.get(e.pid);
    if (!mm) return;
    for (const vma of mm.vmas) {
      const lo = Math.max(vma.start, e.addr),
        hi = Math.min(vma.end, e.addr + e.len);
      if (lo >= hi) continue;
      const file = vma.kind === 'shmem' ? (k.fileById(vma.fileId)?.name ?? null) : null;
      if (file) this.guestFiles.add(file);
      else {
        let g = this.guestVmas.get(e.pid);
        if (!g || g.mm !== mm) this.guestVmas.set(e.pid, (g = { mm, starts: new Set() }));
        g.starts.add(vma.start);
      }
      if (file) for (let a = lo - (lo % PAGE_SIZE); a < hi; a += PAGE_SIZE) this.fileSlot(k, file, vma.pgoffOf(a), mark);
      else if (mark) this.markAnonSpan(mm, e.pid, Math.floor(lo / PAGE_SIZE), Math.ceil(hi / PAGE_SIZE));
      else this.settleAnonSpan(mm, e.pid, Math.floor(lo / PAGE_SIZE), Math.ceil(hi / PAGE_SIZE));
    }
  }

  private fileSlot(k: Kernel, file: string, slot: number, mark: boolean): void {
    if (mark) this.markIfEmpty(k, file, slot);
    else this.settleSlot(k, file, slot);
  }

  private requestBytes(_k: Kernel, e: WorkloadEvent): number {
    if (e.type === 'fallocate') return (Math.ceil((e.offset + e.len) / PAGE_SIZE) - Math.floor(e.offset / PAGE_SIZE)) * PAGE_SIZE;
    if (e.type === 'madvise') return Math.ceil(e.len / PAGE_SIZE) * PAGE_SIZE;
    return 0;
  }

  /** Whether page `slot` of a file is in its page cache now, and in a PMD-sized folio. */
  private fileSlotState(k: Kernel, file: string, slot: number): 'none' | 'small' | 'huge' {
    const f = k.frames;
    const pfn = k.files.get(file)?.lookup(slot, (p) => f.order(p));
    if (pfn === undefined) return 'none';
    return f.order(f.head(pfn)) > 0 ? 'huge' : 'small';
  }

  private fileMarksOf(file: string, slot: number, create: boolean): RangeMarks | undefined {
    let ranges = this.fileMarks.get(file);
    if (!ranges) {
      if (!create) return undefined;
      this.fileMarks.set(file, (ranges = new RangeSet(file)));
    }
    const range = Math.floor(slot / HPAGE_PMD_NR);
    return create ? ranges.getOrAdd(range) : ranges.get(range);
  }

  private markIfEmpty(k: Kernel, file: string, slot: number): void {
    if (this.fileSlotState(k, file, slot) !== 'none') return;
    if (this.fileMarksOf(file, slot, true)!.add(slot)) this.marks++;
  }

  /** The marks of `pid`'s ranges, or undefined when it has none (or only an exited address space's, which go). */
  private anonRanges(mm: MM, pid: number, create: boolean): RangeSet<number> | undefined {
    if (this.anonOwners.get(pid) !== mm) {
      this.dropAnon(pid);
      if (!create) return undefined;
      this.anonOwners.set(pid, mm);
    }
    let ranges = this.anonMarks.get(pid);
    if (!ranges && create) this.anonMarks.set(pid, (ranges = new RangeSet(pid)));
    return ranges;
  }

  /** settleSlot for anonymous pages [first, end) of `mm`: a marked page populated again is refilled. */
  private settleAnonSpan(mm: MM, pid: number, first: number, end: number): void {
    const ranges = this.anonRanges(mm, pid, false);
    if (!ranges) return;
    for (let p = first; p < end;) {
      const range = Math.floor(p / HPAGE_PMD_NR);
      const stop = Math.min(end, (range + 1) * HPAGE_PMD_NR);
      const slots = ranges.get(range);
      const pt = slots && slots.size > 0 ? mm.pts.get(range) : undefined;
      if (slots && pt) {
        let refilled = 0;
        for (; p < stop; p++) if (slots.has(p) && anonPopulated(pt, p % HPAGE_PMD_NR) && slots.delete(p)) refilled++;
        this.refilled(refilled);
      }
      p = stop;
    }
  }

  /** markIfEmpty for anonymous pages [first, end) of `mm`. */
  private markAnonSpan(mm: MM, pid: number, first: number, end: number): void {
    let ranges: RangeSet<number> | undefined = undefined;
    for (let p = first; p < end;) {
      const range = Math.floor(p / HPAGE_PMD_NR);
      const stop = Math.min(end, (range + 1) * HPAGE_PMD_NR);
      const pt = mm.pts.get(range);
      let slots: RangeMarks | undefined = undefined;
      for (; p < stop; p++) {
        if (pt && anonPopulated(pt, p % HPAGE_PMD_NR)) continue;
        ranges ??= this.anonRanges(mm, pid, true)!;
        slots ??= ranges.getOrAdd(range);
        if (slots.add(p)) this.marks++;
      }
    }
  }

  /** `pages` marked pages found populated again: their marks went, and they count as refilled. */
  private refilled(pages: number): void {
    this.marks -= pages;
    this.current.refilledBytes += pages * PAGE_SIZE;
    this.total.refilledBytes += pages * PAGE_SIZE;
  }

  /** Forgets an exited address space's marks. */
  private dropAnon(pid: number): void {
    const ranges = this.anonMarks.get(pid);
    if (ranges) for (const slots of ranges.list) this.marks -= slots.size;
    this.anonMarks.delete(pid);
    this.anonOwners.delete(pid);
  }

  /** A marked file page in the page cache again counts as refilled (and its mark goes). Returns whether it was, and huge. */
  private settleSlot(k: Kernel, file: string, slot: number): 'no' | 'small' | 'huge' {
    const s = this.fileMarksOf(file, slot, false);
    if (!s?.has(slot)) return 'no';
    const now = this.fileSlotState(k, file, slot);
    if (now === 'none') return 'no';
    s.delete(slot);
    this.refilled(1);
    return now;
  }

  /** Settles every mark; after a collapse event, each 2 MiB range refilled by a huge folio is a re-collapse. */
  private settleAll(k: Kernel, collapse: boolean): void {
    if (this.marks === 0) return;
    for (const ranges of this.fileMarks.values()) {
      const file = ranges.key;
      // A file that is gone holds no page: no slot of it is refilled.
      if (!k.files.has(file)) continue;
      // From the end: settleRange may delete the range it settles.
      for (let i = ranges.list.length - 1; i >= 0; i--) this.settleRange(k, file, ranges.list[i]!, collapse);
    }
    for (const ranges of this.anonMarks.values()) {
      const pid = ranges.key;
      const mm = k.mms.get(pid);
      if (!mm || mm !== this.anonOwners.get(pid)) {
        this.dropAnon(pid);
        continue;
      }
      // From the end: settleAnonRange may delete the range it settles.
      for (let i = ranges.list.length - 1; i >= 0; i--) {
        const slots = ranges.list[i]!;
        // The table these marks were last found unpopulated in was neither written nor freed since (PageTable.gen): none is populated now.
        const seen = slots.settledPt;
        if (seen !== null && seen.gen === slots.settledGen && !this.exhaustive) continue;
        const pt = mm.pts.get(slots.base / HPAGE_PMD_NR);
        if (!pt) continue;
        // No huge PMD and no PTE in use (present or swap): no slot of the range is populated.
        if (pt.pmd !== 0 || pt.used !== 0) this.settleAnonRange(k, pt, ranges, slots, collapse, pt === seen && !this.exhaustive ? slots.settledGen : -1);
        slots.settledPt = pt;
        slots.settledGen = pt.gen;
      }
    }
  }

  /**
   * settleRange for an anonymous range whose page table is in use, read
   * straight from its PTEs (what settleSlot decides per file page). A range whose table nothing wrote
   * since its last settle is skipped before this (settleAll).
   */
  private settleAnonRange(k: Kernel, pt: PageTable, ranges: RangeSet<number>, slots: RangeMarks, collapse: boolean, since: number): void {
    let refilled = 0;
    let huge = false;
    if (pt.pmd > 0) {
      // A huge PMD populates every slot of the range.
      refilled = slots.size;
      huge = refilled > 0;
      slots.clear();
    } else {
      const f = k.frames;
      const words = slots.words;
      const gens = pt.groupGen;
      const wordGens = pt.wordGen;
      for (let w = 0; w < words.length; w++) {
        // Nothing marked here, or none of these 32 PTEs written since.
        if (words[w] === 0 || wordGens[w]! <= since) continue;
        // Only the marks of the 8-PTE groups written since these marks were last found unpopulated in this table (-1: never).
        const g = w << 2;
        const written =
          (gens[g]! > since ? 0xff : 0) | (gens[g + 1]! > since ? 0xff00 : 0) | (gens[g + 2]! > since ? 0xff0000 : 0) | (gens[g + 3]! > since ? 0xff000000 : 0);
        let word = words[w]! & written;
        while (word !== 0) {
          const low = word & -word;
          word ^= low;
          const v = pt.ptes[(w << 5) + 31 - Math.clz32(low)]!;
          if (!guestPte(v)) continue;
          words[w] = words[w]! & ~low;
          refilled++;
          // Whether a large folio backs it matters only after a collapse event (a re-collapse); elsewhere it would cost two frame reads a page.
          if (collapse && !huge && f.order(f.head(ptePfn(v))) > 0) huge = true;
        }
      }
      slots.size -= refilled;
    }
    this.refilled(refilled);
    if (slots.size === 0) ranges.delete(slots.base / HPAGE_PMD_NR);
    if (collapse && huge) {
      this.current.recollapses++;
      this.total.recollapses++;
    }
  }

  /** Settles one file range's marks; after a collapse event, a range refilled by a huge folio is a re-collapse. */
  private settleRange(k: Kernel, file: string, slots: RangeMarks, collapse: boolean): void {
    let huge = false;
    for (const slot of slots.slots()) if (this.settleSlot(k, file, slot) === 'huge') huge = true;
    if (slots.size === 0) this.fileMarks.get(file)?.delete(slots.base / HPAGE_PMD_NR);
    if (collapse && huge) {
      this.current.recollapses++;
      this.total.recollapses++;
    }
  }

  // ------------------------------------------------------------ coverage

  /**
   * Which PTEs of an anonymous table hold guest memory and which of those a
   * large folio backs, as bitmaps, re-read only when the table changed
   * (PageTable.gen): a round's coverage then costs a few words per
   * unchanged table, not 512 PTEs. A mapped folio changes order only by a
   * split or collapse, which rewrites the PTEs that map it (unmap/remap,
   * pmdToPtes, setPmd), so an unchanged table still maps folios of the
   * orders it did.
   */
  private tableCensus(k: Kernel, pt: PageTable): TableCensus {
    let c = this.census.get(pt);
    if (c && c.gen === pt.gen && !this.exhaustive) return c;
    if (!c) this.census.set(pt, (c = { gen: -1, present: new Uint32Array(HPAGE_PMD_NR / 32), huge: new Uint32Array(HPAGE_PMD_NR / 32) }));
    const f = k.frames;
    c.present.fill(0);
    c.huge.fill(0);
    for (let i = 0; i < HPAGE_PMD_NR; i++) {
      const v = pt.ptes[i]!;
      if (!guestPte(v)) continue;
      c.present[i >>> 5] = c.present[i >>> 5]! | (1 << (i & 31));
      if (f.order(f.head(ptePfn(v))) > 0) c.huge[i >>> 5] = c.huge[i >>> 5]! | (1 << (i & 31));
    }
    c.gen = pt.gen;
    return c;
  }

  /** Of the populated pages of the targeted memory, the share backed by a PMD-sized folio (1 when nothing is populated). */
  private coverage(k: Kernel): number {
    const f = k.frames;
    let pages = 0,
      huge = 0;
    for (const name of this.guestFiles) {
      const file = k.files.get(name);
      if (!file) continue;
      for (const pfn of file.cache.values()) {
        const n = f.nrPages(pfn);
        pages += n;
        if (n > 1) huge += n;
      }
    }
    for (const [pid, g] of this.guestVmas) {
      const mm = g.mm;
      if (k.mms.get(pid) !== mm) {
        this.guestVmas.delete(pid); // exited: it holds no memory now or later
        continue;
      }
      // The VMAs that still start where a targeted one did (their order does not matter: the sums are integers).
      for (const vma of mm.vmas) {
        if (!g.starts.has(vma.start)) continue;
        for (let base = vma.start - (vma.start % (HPAGE_PMD_NR * PAGE_SIZE)); base < vma.end; base += HPAGE_PMD_NR * PAGE_SIZE) {
          const pt = mm.pt(base);
          if (!pt) continue;
          if (pt.pmd > 0) {
            pages += HPAGE_PMD_NR;
            huge += HPAGE_PMD_NR;
            continue;
          }
          // The table's entries inside the VMA: [lo, hi).
          const c = this.tableCensus(k, pt);
          const lo = Math.max(0, (vma.start - base) / PAGE_SIZE),
            hi = Math.min(HPAGE_PMD_NR, (vma.end - base) / PAGE_SIZE);
          pages += bitsIn(c.present, lo, hi);
          huge += bitsIn(c.huge, lo, hi);
        }
      }
    }
    return pages === 0 ? 1 : huge / pages;
  }
}
