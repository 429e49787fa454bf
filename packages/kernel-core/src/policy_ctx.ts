/**
 * What a policy sees of the machine: `PolicyCtx`. The model hands every axis
 * method its Kernel, but typed as this narrow context, so the rule "a policy
 * changes frame fields only through the ledger's counted primitives" is a
 * compile error to break rather than a test-time audit to trip:
 *
 *   - `frames` is a read-only view: every field reads as before, no field
 *     can be assigned (`k.frames.refcount[p] = x` does not compile);
 *   - `ledger` is the Ledger's primitives, taking those read-only views; the
 *     store to the real typed array happens inside the Ledger;
 *   - the machine's own methods a policy may call are listed here one by
 *     one, and the path mechanisms a policy may run (GUP grabs, the split
 *     and rmap steps, driver-page moves and zbud reclaim, folio migration,
 *     the shmem guard marks) are the functions at the end of this file,
 *     typed to take the context;
 *   - what a policy is handed besides the context is read-only too: a GUP
 *     handle (PolicyGupHandle) and a shmem file (PolicyShmemFile).
 *
 * `Kernel` satisfies PolicyCtx structurally (checked below), so model code
 * keeps passing `k`. The mechanisms stay free functions of the Kernel (the
 * kernel's own style, and kernel.ts importing every path module would make
 * value cycles); each one here only narrows its parameter, and the one cast
 * back to Kernel stays inside kernel-core: the only PolicyCtx the model ever
 * hands out is its Kernel.
 */
import type { GupKind, SplitResult } from './axes.js';
import {
  driverMigrateTarget as driverMigrateTargetK,
  driverPageHandle as driverPageHandleK,
  moveDriverPage as moveDriverPageK,
  reclaimDriverPage as reclaimDriverPageK,
} from './compaction.js';
import {
  type MigrateReason,
  type MigrateResult,
  type MigrateTarget,
  migrateFolio as migrateFolioK,
  moveGupPinnedFolio as moveGupPinnedFolioK,
} from './migrate.js';
import { grabFolioRefs as grabFolioRefsK, putFolioRef as putFolioRefK } from './gup.js';
import type { GupHandle, Kernel } from './kernel.js';
import type { Site } from './ledger.js';
import type { AnonVma, MM } from './mm.js';
import type { ShmemFile } from './shmem_file.js';
import { collapseGuarded as collapseGuardedK, guardCollapse as guardCollapseK, markPunchedHoles as markPunchedHolesK } from './shmem_guard.js';
import {
  addNrPagesMapped as addNrPagesMappedK,
  subNrPagesMapped as subNrPagesMappedK,
  subNrPagesMappedEach as subNrPagesMappedEachK,
} from './nr_pages_mapped.js';
import { type FolioMapping, folioMappings as folioMappingsK, rmapPmdBecomesPtes as rmapPmdBecomesPtesK } from './rmap.js';
import {
  clearCompoundHead as clearCompoundHeadK,
  makeTailIndependent as makeTailIndependentK,
  splitFolioFrozen as splitFolioFrozenK,
  splitHugePmdLocked as splitHugePmdLockedK,
} from './split.js';
import { splitAndRecord as splitAndRecordK } from './vmscan.js';

/** A frame field as a policy sees it: indexable and readable, never assignable. */
export type ReadonlyWords = { readonly [i: number]: number; readonly length: number };

/** The frame arrays (frames.ts) read-only, with the read-side helpers. */
export interface PolicyFrames {
  readonly nr: number;
  readonly flags: ReadonlyWords;
  readonly refcount: ReadonlyWords;
  readonly mapcount: ReadonlyWords;
  readonly content: ReadonlyWords;
  readonly lruNext: ReadonlyWords;
  readonly lruPrev: ReadonlyWords;
  readonly mapping: ReadonlyWords;
  readonly index: ReadonlyWords;
  readonly entireMapcount: ReadonlyWords;
  readonly pincount: ReadonlyWords;
  readonly largeMapcount: ReadonlyWords;
  readonly nrPagesMapped: ReadonlyWords;
  /** `mapping` as unsigned words, for the bit operations on page[3]'s `_mm_ids` (folio.ts folioMmIdsWord). */
  readonly mappingWords: ReadonlyWords;
  test(pfn: number, bit: number): boolean;
  order(pfn: number): number;
  head(pfn: number): number;
  isHead(pfn: number): boolean;
  isTail(pfn: number): boolean;
  isLarge(head: number): boolean;
  nrPages(head: number): number;
  isFree(pfn: number): boolean;
}

/**
 * The Ledger's primitives (ledger.ts) over read-only views: the only way a
 * policy changes a frame field, each one counted by kind and call site (the
 * plain stores `set`, `__setBit`, `__clearBit`, `__bitSpinUnlock` cost 0, as
 * in the kernel). The Ledger class satisfies it: its typed-array parameters
 * are what these views are at run time.
 */
export interface PolicyLedger {
  atomicAdd(field: ReadonlyWords, i: number, delta: number, s: Site): number;
  atomicAddEach(field: ReadonlyWords, i: number, delta: number, times: number, s: Site): number;
  atomicInc(field: ReadonlyWords, i: number, s: Site): number;
  atomicDec(field: ReadonlyWords, i: number, s: Site): number;
  atomicDecAndTest(field: ReadonlyWords, i: number, s: Site): boolean;
  atomicSubAndTest(field: ReadonlyWords, i: number, n: number, s: Site): boolean;
  atomicAddUnless(field: ReadonlyWords, i: number, delta: number, unless: number, s: Site): boolean;
  atomicIncNotZero(field: ReadonlyWords, i: number, s: Site): boolean;
  cmpxchg(field: ReadonlyWords, i: number, old: number, val: number, s: Site): boolean;
  setBit(flags: ReadonlyWords, i: number, bit: number, s: Site): void;
  clearBit(flags: ReadonlyWords, i: number, bit: number, s: Site): void;
  testAndSetBit(flags: ReadonlyWords, i: number, bit: number, s: Site): boolean;
  testAndClearBit(flags: ReadonlyWords, i: number, bit: number, s: Site): boolean;
  set(field: ReadonlyWords, i: number, v: number): void;
  __setBit(flags: ReadonlyWords, i: number, bit: number): void;
  __clearBit(flags: ReadonlyWords, i: number, bit: number): void;
  spinLock(s: Site): void;
  spinUnlock(): void;
  spinLockIrqSave(s: Site): void;
  spinUnlockIrqRestore(): void;
  bitSpinLock(flags: ReadonlyWords, i: number, bit: number, s: Site): void;
  bitSpinUnlock(flags: ReadonlyWords, i: number, bit: number, s: Site): void;
  __bitSpinUnlock(flags: ReadonlyWords, i: number, bit: number): void;
  bitSpinLockedEach(times: number, s: Site): void;
  downWrite(s: Site): void;
  upWrite(s: Site): void;
  downRead(s: Site): void;
  upRead(s: Site): void;
  lockPage(flags: ReadonlyWords, i: number, bit: number, s: Site): boolean;
  unlockPage(flags: ReadonlyWords, i: number, bit: number, s: Site): void;
  tlbFlush(n?: number): void;
  copyPage(): void;
  /** Locked ops counted so far at one site (a read: DM reports its global lock's acquisitions from it). */
  atSite(s: Site): number;
}

/**
 * A GUP handle as the pinned-migration axis sees it (onGupPin): which
 * pages were grabbed, by whom, never to be rewritten by a policy.
 */
export interface PolicyGupHandle {
  readonly kind: GupHandle['kind'];
  readonly pid: number;
  readonly addr: number;
  readonly pfns: ReadonlyWords;
}

/**
 * A shmem file as the shmem-truncate axis sees it (onPunch): its identity
 * and size. The page cache and the guard marks are not the policy's to
 * touch; it changes the marks only through the guard mechanisms below.
 */
export interface PolicyShmemFile {
  readonly id: number;
  readonly name: string;
  readonly size: number;
}

/** What a policy is handed: frames to read, the ledger to change them, and the listed machine methods. */
export interface PolicyCtx {
  readonly frames: PolicyFrames;
  readonly ledger: PolicyLedger;
  /** lru_add_page_tail's list step (3.13's split puts each new page on the LRU itself). */
  readonly lru: { link(head: number, nid: number): void };
  /** folio_put_refs on the head: frees the folio when the count reaches 0. */
  folioPutRefs(head: number, n: number, s?: Site): void;
  /** put_page on `count` small pages from `first` (a split's tails), each freed when its count reaches 0: one counted atomic per page, as one-by-one puts. */
  putSmallPages(first: number, count: number, s: Site): void;
  /** The NUMA node of a frame. */
  nid(pfn: number): number;
  /** The anon_vma a folio's mapping field names (split takes its lock and a reference). */
  anonVma(id: number): AnonVma | undefined;
}

/** Compile-time proof that the model can hand its Kernel to a policy as is. */
export const kernelIsPolicyCtx: (k: Kernel) => PolicyCtx = (k) => k;

/** The one cast back: every PolicyCtx the model hands out is its Kernel. */
function machine(k: PolicyCtx): Kernel {
  return k as Kernel;
}

/** The same for a shmem file: every PolicyShmemFile the model hands out is its ShmemFile. */
function shmemFile(f: PolicyShmemFile): ShmemFile {
  return f as ShmemFile;
}

// ----------------------------------------- mechanisms a policy may run

/** try_grab_folio over `refs` subpages of one folio (gup.ts). */
export function grabFolioRefs(k: PolicyCtx, pfn: number, refs: number, kind: GupKind, fast: boolean, pmdLeaf: boolean): void {
  grabFolioRefsK(machine(k), pfn, refs, kind, fast, pmdLeaf);
}
/** gup_put_folio / unpin_user_page on one subpage (gup.ts). */
export function putFolioRef(k: PolicyCtx, pfn: number, kind: GupKind): void {
  putFolioRefK(machine(k), pfn, kind);
}
/** __split_huge_pmd_locked: the PMD becomes PTEs, the folio stays whole (split.ts). */
export function splitHugePmdLocked(k: PolicyCtx, mm: MM, base: number): void {
  splitHugePmdLockedK(machine(k), mm, base);
}
/** split_huge_page_to_list_to_order: unmap, freeze, split, remap (split.ts). */
export function splitFolioFrozen(k: PolicyCtx, head: number): SplitResult {
  return splitFolioFrozenK(machine(k), head);
}
/** One tail's flags, mapping and index become its own page's (split.ts). */
export function makeTailIndependent(k: PolicyCtx, head: number, i: number): void {
  makeTailIndependentK(machine(k), head, i);
}
/** The head stops being a compound head (split.ts). */
export function clearCompoundHead(k: PolicyCtx, head: number): void {
  clearCompoundHeadK(machine(k), head);
}
/** split_huge_page with the thp_split_page / _failed accounting (vmscan.ts). */
export function splitAndRecord(k: PolicyCtx, head: number, caller: string): boolean {
  return splitAndRecordK(machine(k), head, caller);
}
/** The rmap's per-mapping step of a PMD split: entire mapcount -> per-page mapcounts (rmap.ts). */
export function rmapPmdBecomesPtes(k: PolicyCtx, mm: MM, head: number): void {
  rmapPmdBecomesPtesK(machine(k), mm, head);
}
/** Every page-table mapping of a folio, through the rmap (rmap.ts). */
export function folioMappings(k: PolicyCtx, head: number): FolioMapping[] {
  return folioMappingsK(machine(k), head);
}
/** `_nr_pages_mapped` after a map (nr_pages_mapped.ts). */
export function addNrPagesMapped(k: PolicyCtx, head: number, nr: number, pmd: boolean, pfn: number | undefined, s?: Site): void {
  addNrPagesMappedK(machine(k), head, nr, pmd, pfn, s);
}
/** `_nr_pages_mapped` after an unmap (nr_pages_mapped.ts). */
export function subNrPagesMapped(k: PolicyCtx, head: number, nr: number, pmd: boolean, pfn: number | undefined, s?: Site): void {
  subNrPagesMappedK(machine(k), head, nr, pmd, pfn, s);
}
/** subNrPagesMapped for a run of single-PTE unmaps of [pfn, pfn + n) (nr_pages_mapped.ts). */
export function subNrPagesMappedEach(k: PolicyCtx, head: number, pfn: number, n: number, s?: Site): void {
  subNrPagesMappedEachK(machine(k), head, pfn, n, s);
}
/** The owner's migrate_page for a driver page (compaction.ts): the new pfn, or -1. */
export function moveDriverPage(k: PolicyCtx, pfn: number, target?: MigrateTarget): number {
  return moveDriverPageK(machine(k), pfn, target);
}
/** The handle of the driver allocation holding `pfn`, if any (compaction.ts). */
export function driverPageHandle(k: PolicyCtx, pfn: number): string | undefined {
  return driverPageHandleK(machine(k), pfn);
}
/** The owner name the driver allocation holding `pfn` was made for (`driver_alloc`'s owner: zbud, zswap, ...), if any. */
export function driverPageOwner(k: PolicyCtx, pfn: number): string | undefined {
  const m = machine(k);
  const h = driverPageHandleK(m, pfn);
  return h === undefined ? undefined : m.drivers.get(h)?.owner;
}
/** Where compaction / alloc_contig wants the driver page it is asking about to go, while it asks (compaction.ts). */
export function driverMigrateTarget(k: PolicyCtx): Readonly<MigrateTarget> | undefined {
  return driverMigrateTargetK(machine(k));
}
/** Kozlowski's zbud reclaim of one driver page into swap-cache pages (compaction.ts). */
export function reclaimDriverPage(k: PolicyCtx, pfn: number, target?: MigrateTarget, objects = 2): boolean {
  return reclaimDriverPageK(machine(k), pfn, target, objects);
}
/** migrate_pages on one folio: isolate, unmap, copy, remap (migrate.ts). */
export function migrateFolio(k: PolicyCtx, head: number, reason: MigrateReason, dst: MigrateTarget = {}): MigrateResult {
  return migrateFolioK(machine(k), head, reason, dst);
}
/** A GUP-pinned folio moved by its pin owners: they drop their pins, it migrates, they pin the new pages (migrate.ts). */
export function moveGupPinnedFolio(k: PolicyCtx, head: number, owners: readonly string[], reason: MigrateReason, dst: MigrateTarget = {}): MigrateResult {
  return moveGupPinnedFolioK(machine(k), head, owners, reason, dst);
}
/** Marks the holes a punch left in [start, end) (shmem_guard.ts); returns how many. */
export function markPunchedHoles(k: PolicyCtx, file: PolicyShmemFile, start: number, end: number): number {
  return markPunchedHolesK(k, shmemFile(file), start, end);
}
/** Guards the 2 MiB ranges over [start, end) against collapse (shmem_guard.ts); returns how many. */
export function guardCollapse(k: PolicyCtx, file: PolicyShmemFile, start: number, end: number): number {
  return guardCollapseK(k, shmemFile(file), start, end);
}
/** Whether the range at `aligned` of file `fileId` is guarded (shmem_guard.ts, a lockless read). */
export function collapseGuarded(k: PolicyCtx, fileId: number, aligned: number): boolean {
  return collapseGuardedK(k, fileId, aligned);
}
