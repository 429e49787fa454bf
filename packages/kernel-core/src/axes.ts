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
 * One entry of the axis table. `policy` is never set: it carries the axis
 * interface's type, so `AxisPolicy` derives from the table like the rest
 * (write entries with `axisEntry<TheInterface>()({...})`).
 */
export interface AxisEntry<P = unknown> {
  /** The DesignPolicies field the model reads the axis' policy from. */
  readonly field: string;
  /** The package-name part: packages/policy-<short>-<name>. */
  readonly short: string;
  /** The interface's name, for the generator's templates. */
  readonly iface: string;
  /** kernel-core's reference policy of the axis (an export of testing/reference.ts). */
  readonly reference: string;
  /** The testkit's conformance suite of the axis (an export of @pagelab/policy-testkit, written with defineAxisSuite). */
  readonly conformance: string;
  /** The policy id a design uses on this axis unless it names another: what the oldest modelled kernel does. */
  readonly baseline: string;
  /** The question the axis answers, for `pagelab policies` and the generated README. */
  readonly question: string;
  readonly policy?: P;
}

/** An axis entry typed with its interface: `axisEntry<RefcountPolicy>()({ field: 'refcount', ... })`. */
export const axisEntry =
  <P>() =>
  <const E extends Omit<AxisEntry<P>, 'policy'>>(e: E): E & { readonly policy?: P } =>
    e;

/** Any axis table: the real one, or one a test extends with a throwaway axis. */
export type AxisTable = { readonly [axis: string]: AxisEntry };
/** The axes of a table. */
export type AxisNameOf<T extends AxisTable> = keyof T & string;
/** The policy interface of each axis of a table. */
export type AxisPolicyOf<T extends AxisTable> = { [A in AxisNameOf<T>]: NonNullable<T[A]['policy']> };
/** One policy per axis of a table, under the field the model reads it from. */
export type DesignPoliciesOf<T extends AxisTable> = { [A in AxisNameOf<T> as T[A]['field']]: AxisPolicyOf<T>[A] };

/**
 * The axis table: the one list of axes. `AxisName`, `AXES`, `AxisPolicy`,
 * `DesignPolicies` (the field the model reads each policy from),
 * `designPolicies` (the factory), the presets' default choice on every axis
 * and the ids a design may name before the registry is read (engine
 * presets.ts), and the policy generator's maps (tools/policy-gen) all derive
 * from it, through the table-generic functions below. Adding an axis is an
 * entry here (with its interface, below), its reference policy
 * (testing/reference.ts) and its conformance suite, written with the
 * testkit's defineAxisSuite; the testkit's axis-table test adds a throwaway
 * axis to show that nothing else changes.
 */
export const AXIS_TABLE = {
  refcount: axisEntry<RefcountPolicy>()({
    field: 'refcount',
    short: 'refcount',
    iface: 'RefcountPolicy',
    reference: 'refHeadRefcount',
    conformance: 'runRefcountConformance',
    baseline: 'tail-refcount',
    question: 'how references on a THP are counted; what get/put on a tail page does; when and how split works',
  }),
  sharedness: axisEntry<SharednessPolicy>()({
    field: 'sharedness',
    short: 'sharedness',
    iface: 'SharednessPolicy',
    reference: 'refPreciseSharedness',
    conformance: 'runSharednessConformance',
    baseline: 'precise-mapcount',
    question: '"is this folio mapped by more than one process?", as khugepaged and CoW reuse ask it',
  }),
  'pinned-migration': axisEntry<PinnedMigrationPolicy>()({
    field: 'pinnedMigration',
    short: 'pinned',
    iface: 'PinnedMigrationPolicy',
    reference: 'refPinsBlock',
    conformance: 'runPinnedMigrationConformance',
    baseline: 'pins-block',
    question: 'what compaction, CMA and offlining do with pinned or driver-owned pages',
  }),
  'shmem-truncate': axisEntry<ShmemTruncatePolicy>()({
    field: 'shmemTruncate',
    short: 'shmem',
    iface: 'ShmemTruncatePolicy',
    reference: 'refSplitOnPunch',
    conformance: 'runShmemTruncateConformance',
    baseline: 'zero-keep',
    question: 'what a partial hole punch inside a shmem THP does, and whether khugepaged may collapse it back',
  }),
} as const;

// ------------------------------------------- derived from a table

/** The axes of a table, in its order. */
export function axesOf<T extends AxisTable>(table: T): readonly AxisNameOf<T>[] {
  return Object.keys(table) as AxisNameOf<T>[];
}

/** The factory over a table: one policy made per axis by `make`, placed in its field. */
export function designPoliciesOf<T extends AxisTable>(table: T, make: <A extends AxisNameOf<T>>(axis: A) => AxisPolicyOf<T>[A]): DesignPoliciesOf<T> {
  const out: Record<string, unknown> = {};
  for (const axis of axesOf(table)) out[table[axis]!.field] = make(axis);
  return out as DesignPoliciesOf<T>;
}

/** A value for every axis of a table: `picks` where given, `fill` (e.g. the baseline policy) elsewhere. */
export function everyAxis<T extends AxisTable, V>(
  table: T,
  picks: Partial<Record<AxisNameOf<T>, V>>,
  fill: (axis: AxisNameOf<T>, entry: T[AxisNameOf<T>]) => V,
): Record<AxisNameOf<T>, V> {
  const out = {} as Record<AxisNameOf<T>, V>;
  for (const axis of axesOf(table)) out[axis] = axis in picks ? (picks[axis] as V) : fill(axis, table[axis]!);
  return out;
}

/** Per axis, every policy id a list of designs names, the baseline first, then in order of first use. */
export function namedPolicyIds<T extends AxisTable>(
  table: T,
  designs: readonly Partial<Record<AxisNameOf<T>, { readonly id: string }>>[],
): Record<AxisNameOf<T>, readonly string[]> {
  return everyAxis(table, {}, (axis, entry) => {
    const ids = new Set<string>([entry.baseline]);
    for (const d of designs) {
      const c = d[axis];
      if (c) ids.add(c.id);
    }
    return [...ids];
  });
}

/** What the policy generator writes for policy `name` on `axis`: the package, interface, reference policy and suite. */
export function policyPackageOf<T extends AxisTable>(
  table: T,
  axis: string,
  name: string,
): { pkg: string; axis: AxisNameOf<T>; iface: string; reference: string; conformance: string; question: string } {
  const entry = table[axis];
  if (!entry || !Object.prototype.hasOwnProperty.call(table, axis)) throw new Error(`axis "${axis}": expected one of ${axesOf(table).join(', ')}`);
  return {
    pkg: `policy-${entry.short}-${name}`,
    axis,
    iface: entry.iface,
    reference: entry.reference,
    conformance: entry.conformance,
    question: entry.question,
  };
}

export type AxisName = AxisNameOf<typeof AXIS_TABLE>;
export const AXES: readonly AxisName[] = axesOf(AXIS_TABLE);
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
  /**
   * removeLargeMapping(k, head, mm, 1, false, pfn + i) for i = 0 .. n - 1, in
   * a row: what a run of single-PTE unmaps of one folio in one mm does
   * (try_to_migrate_one unmaps one PTE at a time in every era), with the
   * per-page mapcounts of the run already dropped. It must make exactly the
   * stores and counted operations those n calls make; absent, the caller
   * makes the n calls.
   */
  removeLargeMappingEach?(k: PolicyCtx, head: number, mm: MM, n: number, pfn: number): void;
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

/** The policy object of each axis (each entry's interface). */
export type AxisPolicy = AxisPolicyOf<typeof AXIS_TABLE>;

/** One policy per axis, under the field the model reads it from (AXIS_TABLE's `field`). */
export type DesignPolicies = DesignPoliciesOf<typeof AXIS_TABLE>;

/** The factory: a design's policies, one made per axis by `make`, placed in their fields. */
export function designPolicies(make: <A extends AxisName>(axis: A) => AxisPolicy[A]): DesignPolicies {
  return designPoliciesOf(AXIS_TABLE, make);
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
