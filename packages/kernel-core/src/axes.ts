/**
 * The axis interfaces: the decision points where designs differ. The model
 * calls them where the kernel has the decision; a policy package implements
 * one. Each method receives the machine as a `PolicyCtx` (policy_ctx.ts):
 * read-only frames, the counted ledger primitives, the listed mechanisms.
 */
import type { MigrateReason, MigrateResult, MigrateTarget } from './migrate.js';
import type { MM } from './mm.js';
import type { PinHashStats } from './pinned_stats.js';
import type { PolicyCtx, PolicyGupHandle, PolicyShmemFile } from './policy_ctx.js';

/**
 * The axis table: the one list of axes. `AxisName`, `AXES`, `DesignPolicies`
 * (the field the model reads each policy from), `designPolicies` (the
 * factory) and the policy generator's maps (tools/policy-gen) all derive
 * from it. Adding an axis is an entry here, its interface in AxisPolicy
 * below, a reference policy (testing/reference.ts) and its conformance suite
 * (packages/policy-testkit).
 */
export const AXIS_TABLE = {
  refcount: {
    field: 'refcount',
    short: 'refcount',
    iface: 'RefcountPolicy',
    reference: 'refHeadRefcount',
    conformance: 'runRefcountConformance',
    question: 'how references on a THP are counted; what get/put on a tail page does; when and how split works',
  },
  sharedness: {
    field: 'sharedness',
    short: 'sharedness',
    iface: 'SharednessPolicy',
    reference: 'refPreciseSharedness',
    conformance: 'runSharednessConformance',
    question: '"is this folio mapped by more than one process?", as khugepaged and CoW reuse ask it',
  },
  'pinned-migration': {
    field: 'pinnedMigration',
    short: 'pinned',
    iface: 'PinnedMigrationPolicy',
    reference: 'refPinsBlock',
    conformance: 'runPinnedMigrationConformance',
    question: 'what compaction, CMA and offlining do with pinned or driver-owned pages',
  },
  'shmem-truncate': {
    field: 'shmemTruncate',
    short: 'shmem',
    iface: 'ShmemTruncatePolicy',
    reference: 'refSplitOnPunch',
    conformance: 'runShmemTruncateConformance',
    question: 'what a partial hole punch inside a shmem THP does, and whether khugepaged may collapse it back',
  },
} as const;

export type AxisName = keyof typeof AXIS_TABLE;
export const AXES = Object.keys(AXIS_TABLE) as readonly AxisName[];
/** The DesignPolicies field of an axis (`pinned-migration` -> `pinnedMigration`). */
export type AxisField<A extends AxisName = AxisName> = (typeof AXIS_TABLE)[A]['field'];

/** FOLL_GET (a plain reference) or FOLL_PIN (a DMA pin, counted apart where the era can). */
export type GupKind = 'get' | 'pin';

/** Why a split_huge_page attempt failed (thp_split_page_failed{reason}). */
export type SplitFailure = 'pinned' | 'extra_ref' | 'no_anon_vma' | 'hwpoison' | 'locked';
export type SplitResult = { ok: true } | { ok: false; reason: SplitFailure };

/**
 * refcount axis: how references on a THP are counted, what get/put on a tail
 * page does, and how split works.
 */
export interface RefcountPolicy {
  readonly id: string;
  /** Whether a compound page may be mapped by PTEs (B/C yes; A no: any PMD change splits the page). */
  readonly pteMappedThp: boolean;
  /** get_page() on any page (head, tail or small), e.g. direct-io's extra references. */
  getPage(k: PolicyCtx, pfn: number): void;
  /** put_page() on any page; frees the folio when the last reference goes. */
  putPage(k: PolicyCtx, pfn: number): void;
  /**
   * GUP grab of `nr` consecutive subpages starting at `pfn`, all in one folio,
   * on the fast (irq-off, lockless) or slow (under the page-table lock) path.
   */
  gupGrab(k: PolicyCtx, pfn: number, nr: number, kind: GupKind, fast: boolean, pmdLeaf: boolean): void;
  /** Release of one GUP reference on a subpage (put_page / unpin_user_page). */
  gupRelease(k: PolicyCtx, pfn: number, kind: GupKind): void;
  /** split_huge_pmd on the PMD mapping `addr` in `mm` (A: splits the whole compound page). */
  splitHugePmd(k: PolicyCtx, mm: MM, addr: number): void;
  /** split_huge_page: the caller holds a reference on the folio. */
  splitHugePage(k: PolicyCtx, head: number): SplitResult;
}

/** sharedness axis: "is this folio mapped by more than one process?". */
export interface SharednessPolicy {
  readonly id: string;
  /**
   * Called after the common rmap update when a large folio gains mappings (nr PTEs, or a PMD).
   * `pfn`: first page of the PTE range [pfn, pfn + nr) (PTE level only), so a policy can tell
   * which pages went 0 -> 1 without a folio-wide recount.
   */
  addLargeMapping(k: PolicyCtx, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void;
  /** Called after the common rmap update when a large folio loses mappings (`pfn` as above: which pages went 1 -> 0). */
  removeLargeMapping(k: PolicyCtx, head: number, mm: MM, nr: number, pmd: boolean, pfn?: number): void;
  /** khugepaged's per-PTE question: does the page `pfn` (mapped by this PTE) count as shared? */
  mappedShared(k: PolicyCtx, pfn: number): boolean;
  /**
   * do_wp_page on a page of a large anon folio that is not PageAnonExclusive
   * (the era has PG_anon_exclusive): may the write reuse it in place? Absent =
   * never (6.10-6.14 free the large folio up instead; only MM-id owner
   * tracking can tell that every mapping is this process's, 6.15).
   */
  canReuseLargeAnon?(k: PolicyCtx, head: number, mm: MM): boolean;
}

/** pinned-migration axis: what compaction / CMA do with pinned or driver-owned pages. */
export interface PinnedMigrationPolicy {
  readonly id: string;
  /** A driver page met by compaction/CMA: migrate it, reclaim it, or leave it (then the range fails). */
  migrateDriverPage(k: PolicyCtx, pfn: number): 'migrated' | 'reclaimed' | 'busy';
  /** Extra cost paid when a driver registers / releases a pinned page. */
  onDriverPin(k: PolicyCtx, pfn: number, pinned: boolean): void;
  /**
   * The migratetype of the gfp mask a driver allocates its pages with.
   * Absent: MIGRATE_MOVABLE for a movable owner, MIGRATE_UNMOVABLE otherwise
   * (DK allocates zbud pages __GFP_RECLAIMABLE); undefined: that default.
   */
  driverMigratetype?(k: PolicyCtx, owner: string, movable: boolean): number | undefined;
  /**
   * A GUP reference set was taken (`pinned` true, after the grab) or is
   * about to be dropped: a pin/get handle, or one O_DIRECT request (`name`
   * 'dio', taken and dropped within its event). DM with coverGup registers
   * its pages as pinned pages owned by the caller.
   */
  onGupPin?(k: PolicyCtx, name: string, h: PolicyGupHandle, pinned: boolean): void;
  /**
   * Compaction or alloc_contig met a user folio marked PagePinned
   * (PG.pinned_owner): the design finds its owners and has them move it.
   * Absent: the folio goes through plain migration (and a pin fails it).
   */
  migratePinnedFolio?(k: PolicyCtx, head: number, reason: MigrateReason, target: MigrateTarget): MigrateResult;
  /** The design's own counters (DM's pin-page hash and global lock) for the summary. */
  stats?(k: PolicyCtx): Partial<PinHashStats>;
}

/** shmem-truncate axis: a partial hole punch inside a shmem THP. */
export interface ShmemTruncatePolicy {
  readonly id: string;
  /** Whether a punch that covers only part of the huge folio tries to split it. `split` is the punch_hole_split mode. */
  splitOnPartialPunch(k: PolicyCtx, head: number, splitRequested: boolean): boolean;
  /** Whether khugepaged may collapse this shmem range back after it was split by a punch (or guarded by onPunch). */
  mayRecollapse(k: PolicyCtx, fileId: number, index: number): boolean;
  /**
   * After fallocate(PUNCH_HOLE) removed what it could of page indexes
   * [start, end): a design that guards the freed memory against re-collapse
   * marks it here, through the guard mechanisms (policy_ctx.ts over
   * shmem_guard.ts; the marks are the file's state, and khugepaged and the
   * fault path honour them). Absent: no guard.
   */
  onPunch?(k: PolicyCtx, file: PolicyShmemFile, start: number, end: number): void;
}

/** One policy per axis, under the field the model reads it from (AXIS_TABLE's `field`). */
export type DesignPolicies = { [A in AxisName as AxisField<A>]: AxisPolicy[A] };

/** The factory: a design's policies, one made per axis by `make`, placed in their fields. */
export function designPolicies(make: <A extends AxisName>(axis: A) => AxisPolicy[A]): DesignPolicies {
  const out: Record<string, unknown> = {};
  for (const axis of AXES) out[AXIS_TABLE[axis].field] = make(axis);
  return out as DesignPolicies;
}

/** The policy object of each axis. */
export interface AxisPolicy {
  refcount: RefcountPolicy;
  sharedness: SharednessPolicy;
  'pinned-migration': PinnedMigrationPolicy;
  'shmem-truncate': ShmemTruncatePolicy;
}

/**
 * What a policy package exports (its default export and `descriptor`): the
 * registry discovers it, `pagelab policies` lists it, designs instantiate it.
 * `params` is an io-ts codec (any `{ decode, is, name }` with the io-ts shape)
 * whose decoded value is handed to `create`; `defaults` must decode.
 */
export interface PolicyDescriptor<A extends AxisName = AxisName, P = Record<string, unknown>> {
  readonly id: string;
  readonly axis: A;
  readonly title: string;
  /** What it models: a seed thread file or a kernel version, e.g. "Linux 3.13 (T313), seed 002". */
  readonly models: string;
  readonly params: import('io-ts').Type<P, unknown, unknown>;
  readonly defaults: P;
  /** One line per parameter, for `pagelab policies`. */
  readonly paramDocs?: Readonly<Record<string, string>>;
  create(params: P): AxisPolicy[A];
}
