/**
 * `_nr_pages_mapped` (T612 mm/rmap.c __folio_add_rmap / __folio_remove_rmap,
 * layout in mm/internal.h): the number of pages of a large folio with a
 * nonzero PTE mapcount, plus ENTIRELY_MAPPED while PMD-mapped. The folio-era
 * sharedness designs (6.10+) maintain it in their rmap hooks, after the
 * common per-page / entire mapcount update; 5.8 had no such field.
 */
import { P1, entireMapcount } from './folio.js';
import type { Kernel } from './kernel.js';
import { type Site, site } from './ledger.js';

export const ENTIRELY_MAPPED = 0x800000;
export const FOLIO_PAGES_MAPPED = ENTIRELY_MAPPED - 1;

const ADD_NR_PAGES_MAPPED = site('folio_add_rmap.nr_pages_mapped');
const SUB_NR_PAGES_MAPPED = site('folio_remove_rmap.nr_pages_mapped');

/** The raw `_nr_pages_mapped` word (page count | ENTIRELY_MAPPED). */
export function folioNrPagesMapped(k: Kernel, head: number): number {
  return k.frames.nrPagesMapped[head + P1]!;
}

/**
 * How many pages of the changed range now have PTE mapcount `now` (1 after
 * an add: they went 0 -> 1; 0 after a remove: 1 -> 0). The rmap update has
 * already moved each page of the range by exactly one. Without the range,
 * recount the folio against the stored `_nr_pages_mapped`.
 */
function pagesCrossing(k: Kernel, head: number, nr: number, pfn: number | undefined, now: 0 | 1): number {
  const f = k.frames;
  let n = 0;
  if (pfn !== undefined) {
    for (let i = 0; i < nr; i++) if (f.mapcount[pfn + i] === now) n++;
    return n;
  }
  const pages = f.nrPages(head);
  for (let i = 0; i < pages; i++) if (f.mapcount[head + i]! > 0) n++;
  return Math.abs(n - (f.nrPagesMapped[head + P1]! & FOLIO_PAGES_MAPPED));
}

/** PTE level: += first [A] when some page went 0 -> 1; PMD level: += ENTIRELY_MAPPED [A] on the first PMD. */
export function addNrPagesMapped(k: Kernel, head: number, nr: number, pmd: boolean, pfn: number | undefined, s: Site = ADD_NR_PAGES_MAPPED): void {
  const f = k.frames;
  if (pmd) {
    if (entireMapcount(f, head) === 1) k.ledger.atomicAdd(f.nrPagesMapped, head + P1, ENTIRELY_MAPPED, s);
    return;
  }
  const first = pagesCrossing(k, head, nr, pfn, 1);
  if (first > 0) k.ledger.atomicAdd(f.nrPagesMapped, head + P1, first, s);
}

/** The mirror of addNrPagesMapped for __folio_remove_rmap. */
export function subNrPagesMapped(k: Kernel, head: number, nr: number, pmd: boolean, pfn: number | undefined, s: Site = SUB_NR_PAGES_MAPPED): void {
  const f = k.frames;
  if (pmd) {
    if (entireMapcount(f, head) === 0) k.ledger.atomicAdd(f.nrPagesMapped, head + P1, -ENTIRELY_MAPPED, s);
    return;
  }
  const last = pagesCrossing(k, head, nr, pfn, 0);
  if (last > 0) k.ledger.atomicAdd(f.nrPagesMapped, head + P1, -last, s);
}

/**
 * subNrPagesMapped(…, 1, false, pfn + i) for each page of [pfn, pfn + n), in
 * a row (a run of single-PTE unmaps, whose per-page mapcounts have all been
 * dropped): one -1 atomic per page that went 1 -> 0, as the n calls count.
 */
export function subNrPagesMappedEach(k: Kernel, head: number, pfn: number, n: number, s: Site = SUB_NR_PAGES_MAPPED): void {
  const f = k.frames;
  let last = 0;
  for (let i = 0; i < n; i++) if (f.mapcount[pfn + i] === 0) last++;
  if (last > 0) k.ledger.atomicAddEach(f.nrPagesMapped, head + P1, -1, last, s);
}
