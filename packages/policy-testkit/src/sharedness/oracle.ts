/** The oracle: every mapping recounted from the page tables, and the checks of a policy's answers and bookkeeping against it (docs/kernel/mm-facts.md §5.4). */
import { type Kernel, type SharednessPolicy, HPAGE_PMD_NR, PG, ZERO_PFN, entireMapcount, ptePfn, ptePresent } from '@pagelab/kernel-core';
import { ENTIRELY_MAPPED } from './machine.js';

// -------------------------------------------------------------- recount

/** Every mapping of one folio, recounted from the page tables. */
export interface FolioRecount {
  head: number;
  order: number;
  anon: boolean;
  pmdMaps: number;
  /** PTE mappings per page of the folio. */
  pteMaps: Int32Array;
  /** Σ PTE + Σ PMD mappings (folio_mapcount). */
  total: number;
  /** mappings (PTEs and PMDs) per MM id. */
  byMm: Map<number, number>;
}

/** Recounts every present mapping of every folio from the page tables of all processes. */
export function recountFolios(k: Kernel): Map<number, FolioRecount> {
  const f = k.frames;
  const out = new Map<number, FolioRecount>();
  const get = (head: number): FolioRecount => {
    let r = out.get(head);
    if (!r) {
      r = { head, order: f.order(head), anon: f.test(head, PG.anon), pmdMaps: 0, pteMaps: new Int32Array(f.nrPages(head)), total: 0, byMm: new Map() };
      out.set(head, r);
    }
    return r;
  };
  for (const mm of k.mms.values()) {
    for (const pt of mm.pts.values()) {
      if (pt.pmd > 0) {
        const r = get(ptePfn(pt.pmd));
        r.pmdMaps++;
        r.total++;
        r.byMm.set(mm.mmId, (r.byMm.get(mm.mmId) ?? 0) + 1);
        continue;
      }
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const v = pt.ptes[i]!;
        if (!ptePresent(v) || ptePfn(v) === ZERO_PFN) continue;
        const pfn = ptePfn(v);
        const r = get(f.head(pfn));
        r.pteMaps[pfn - r.head]!++;
        r.total++;
        r.byMm.set(mm.mmId, (r.byMm.get(mm.mmId) ?? 0) + 1);
      }
    }
  }
  return out;
}

/** Whether some page of the folio is mapped more than once (by PTEs plus PMDs): the per-page truth P answers. */
export function somePageMappedTwice(r: FolioRecount): boolean {
  for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! + r.pmdMaps > 1) return true;
  return false;
}

// ---------------------------------------------------------------- claims

/** The error guarantees a sharedness policy claims (docs/kernel/mm-facts.md §5.4). */
export interface SharednessClaims {
  /** P: the answer for a page is exactly page_mapcount(page) > 1. */
  exactPerPage?: boolean;
  /** L: for anon folios, "shared" implies some page of the folio is mapped more than once. */
  noFalsePositivesAnon?: boolean;
  /**
   * M: a folio mapped by two different MMs always answers "shared". (The
   * question is about MMs: a file folio one MM maps twice, through two VMAs
   * over one file range, is that MM's alone, and 6.15 answers "exclusive".)
   */
  noFalseNegatives?: boolean;
  /** M: while at most two MMs have mapped the folio at once (since it was last unmapped), "shared" iff two MMs map it. */
  exactWithTwoMms?: boolean;
}

/** Readers of the bookkeeping a policy keeps in the frames, so the suite can hold it against the recount. */
export interface SharednessBookkeeping {
  /** `_large_mapcount` (logical): must equal Σ PTE + Σ PMD mappings. */
  largeMapcount?(k: Kernel, head: number): number;
  /** raw `_nr_pages_mapped`: pages with a PTE mapping, plus ENTIRELY_MAPPED while PMD-mapped. */
  nrPagesMapped?(k: Kernel, head: number): number;
  /** MM-id owner slots: distinct MMs that map the folio, each count in 1..(that MM's mappings); free slots 0. */
  mmIdSlots?(k: Kernel, head: number): readonly { mmId: number; mapcount: number }[];
  /** MAYBE_SHARED: set whenever two different MMs map the folio. */
  maybeShared?(k: Kernel, head: number): boolean;
}

export interface SharednessConformanceOptions {
  claims?: SharednessClaims;
  bookkeeping?: SharednessBookkeeping;
  /** fast-check runs (streams) per property; default 30. */
  numRuns?: number;
  /** fast-check seed; fixed so the suite is reproducible. */
  seed?: number;
}

/** Per-folio memory the checks need across events: the most MMs that mapped it at once since it was last unmapped. */
export type MmHistory = Map<number, number>;

/**
 * Every sharedness check on the current state; returns violations as
 * sentences. `history` is updated (call once per event, in order).
 */
export function checkSharedness(k: Kernel, policy: SharednessPolicy, opts: SharednessConformanceOptions, history: MmHistory): string[] {
  const out: string[] = [];
  const f = k.frames;
  const claims = opts.claims ?? {};
  const bk = opts.bookkeeping ?? {};
  const maps = recountFolios(k);

  // The policy's own bookkeeping, on every large folio in use (mapped or not).
  const large: number[] = [];
  k.lru.forEach((head) => {
    if (f.order(head) >= 2) large.push(head);
  });
  for (const head of large) {
    const r = maps.get(head);
    const total = r?.total ?? 0;
    const mms = r?.byMm.size ?? 0;
    if (total === 0) history.delete(head);
    else history.set(head, Math.max(history.get(head) ?? 0, mms));
    if (bk.largeMapcount) {
      const v = bk.largeMapcount(k, head);
      if (v !== total) out.push(`folio ${head}: _large_mapcount ${v} but ${total} page-table mappings`);
    }
    if (bk.nrPagesMapped) {
      let pages = 0;
      if (r) for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) pages++;
      const want = pages + ((r?.pmdMaps ?? 0) > 0 ? ENTIRELY_MAPPED : 0);
      const v = bk.nrPagesMapped(k, head);
      if (v !== want) out.push(`folio ${head}: _nr_pages_mapped ${v.toString(16)} but the page tables give ${want.toString(16)}`);
    }
    if (bk.mmIdSlots) {
      const slots = bk.mmIdSlots(k, head);
      let sum = 0;
      const seen = new Set<number>();
      for (const s of slots) {
        if (s.mmId === 0) {
          if (s.mapcount !== 0) out.push(`folio ${head}: a free MM-id slot holds mapcount ${s.mapcount}`);
          continue;
        }
        if (seen.has(s.mmId)) out.push(`folio ${head}: MM id ${s.mmId} holds two slots`);
        seen.add(s.mmId);
        const own = r?.byMm.get(s.mmId) ?? 0;
        if (s.mapcount < 1 || s.mapcount > own) out.push(`folio ${head}: slot of MM ${s.mmId} counts ${s.mapcount}, but that MM maps it ${own} times`);
        sum += s.mapcount;
      }
      if (sum > total) out.push(`folio ${head}: slot counts sum to ${sum} > ${total} mappings`);
    }
    if (bk.maybeShared) {
      const bit = bk.maybeShared(k, head);
      if (mms >= 2 && !bit) out.push(`folio ${head}: ${mms} MMs map it but MAYBE_SHARED is clear`);
      if (claims.exactWithTwoMms && (history.get(head) ?? 0) <= 2 && bit !== mms >= 2) {
        out.push(`folio ${head}: MAYBE_SHARED ${bit} with ${mms} MMs mapping it (never more than two at once)`);
      }
    }
  }

  // The answer for every mapped page (PTE-mapped pages, and the head of a PMD-mapped folio).
  for (const r of maps.values()) {
    const anyTwice = somePageMappedTwice(r);
    const ask = (pfn: number, per: number) => {
      const before = k.ledger.lockedOps;
      const a = policy.mappedShared(k, pfn);
      const again = policy.mappedShared(k, pfn);
      if (k.ledger.lockedOps !== before) out.push(`pfn ${pfn}: answering took ${k.ledger.lockedOps - before} locked ops`);
      if (a !== again) out.push(`pfn ${pfn}: two answers in a row differ`);
      const where = `pfn ${pfn} (folio ${r.head}, order ${r.order}, ${r.total} mappings by ${r.byMm.size} MMs, page_mapcount ${per})`;
      if (r.order < 2) {
        if (a !== per > 1) out.push(`${where}: small folio answered ${a}`);
        return;
      }
      if (r.total <= 1 && a) out.push(`${where}: mapped once, answered shared`);
      if (claims.exactPerPage && a !== per > 1) out.push(`${where}: answered ${a}, page_mapcount > 1 is ${per > 1}`);
      if (claims.noFalsePositivesAnon && r.anon && a && !anyTwice) out.push(`${where}: false positive (no page mapped twice)`);
      if (claims.noFalseNegatives && !a && r.byMm.size >= 2) out.push(`${where}: false negative`);
      if (claims.exactWithTwoMms && r.total > 1 && (history.get(r.head) ?? 0) <= 2 && a !== r.byMm.size >= 2) {
        out.push(`${where}: answered ${a} though at most two MMs ever mapped it at once`);
      }
    };
    if (r.pmdMaps > 0) ask(r.head, r.pteMaps[0]! + r.pmdMaps);
    for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) ask(r.head + i, r.pteMaps[i]! + r.pmdMaps);
  }
  // The common rmap counts the policies read must agree with the recount too (checkInvariants covers
  // per-page _mapcount; entire mapcount only for folios on the LRU, so check every mapped one here).
  for (const r of maps.values()) {
    if (r.order >= 2 && entireMapcount(f, r.head) !== r.pmdMaps)
      out.push(`folio ${r.head}: entire mapcount ${entireMapcount(f, r.head)} but ${r.pmdMaps} PMDs`);
  }
  return out;
}
