/**
 * The cost ledger: the only way model code changes a shared counter on a
 * frame or takes a lock. Each primitive counts itself, by kind and by call
 * site, in the units of docs/kernel/mm-facts.md §2 (one LOCK-prefixed instruction = one
 * locked op; a lock acquisition is one locked op *and* one acquisition).
 *
 * Call sites are interned once at module load (`site('get_page.tail')`) so the
 * hot path indexes typed arrays and never hashes a string.
 */

export type Site = number & { readonly __site: unique symbol };

const siteNames: string[] = [];
const siteIds = new Map<string, Site>();

/**
 * How many call sites a ledger can count. Fixed so that counting is one
 * indexed add with no capacity check: the primitives stay small enough for
 * the JIT to inline them into the per-page loops that call them.
 */
export const MAX_SITES = 1024;

/** Interns a call-site name, named like the kernel function it models. */
export function site(name: string): Site {
  let id = siteIds.get(name);
  if (id === undefined) {
    if (siteNames.length >= MAX_SITES) throw new RangeError(`site('${name}'): more than MAX_SITES (${MAX_SITES}) call sites`);
    id = siteNames.length as Site;
    siteNames.push(name);
    siteIds.set(name, id);
  }
  return id;
}

export function siteName(s: Site): string {
  return siteNames[s] ?? `site#${s}`;
}

/** Kinds of locked operation, as the summary reports them. */
export const KINDS = ['atomic', 'spinlock', 'bit_spinlock', 'irq_save', 'rwsem', 'page_lock'] as const;
export type Kind = (typeof KINDS)[number];
const K_ATOMIC = 0,
  K_SPIN = 1,
  K_BITSPIN = 2,
  K_IRQ = 3,
  K_RWSEM = 4,
  K_PAGELOCK = 5;
const NKINDS = KINDS.length;

/** lockdep's per-task held-lock stack (include/linux/sched.h MAX_LOCK_DEPTH). */
export const MAX_LOCK_DEPTH = 48;
/** preempt_count's PREEMPT_BITS = 8: at most 255 nested preempt_disable(). */
export const MAX_PREEMPT_DEPTH = 255;

/** Identifies a lock for nesting checks. Frame bit locks use the pfn. */
export type LockId = number;

export interface LedgerTotals {
  lockedOps: number;
  lockAcquisitions: number;
  lockedOpsByKind: Record<string, number>;
  lockedOpsBySite: Record<string, number>;
  maxLockDepth: number;
  maxSpinDepth: number;
  tlbShootdowns: number;
  pageCopies: number;
  /** nesting deeper than lockdep's MAX_LOCK_DEPTH or preempt_count's 255, with the site. */
  nestingViolations: string[];
}

export class Ledger {
  /** Locked ops by (site, kind): one counter per pair, so counting is a single add. */
  private readonly bySiteKind = new Float64Array(MAX_SITES * NKINDS);
  /** All locked ops so far (the sum of bySiteKind, kept so per-event deltas cost nothing). */
  private total = 0;
  private acquisitions = 0;
  private depth = 0;
  /** spinning locks held (preempt_disable nesting); sleeping locks do not count. */
  private spinDepth = 0;
  private maxDepth = 0;
  private maxSpin = 0;
  private tlb = 0;
  private copies = 0;
  private violations: string[] = [];
  private violationSeen = new Set<string>();

  private count(kind: number, s: Site, n: number): void {
    this.bySiteKind[s * NKINDS + kind]! += n;
    this.total += n;
  }

  private acquire(kind: number, s: Site, spinning: boolean): void {
    this.count(kind, s, 1);
    this.acquisitions++;
    this.depth++;
    if (spinning) this.spinDepth++;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
    if (this.spinDepth > this.maxSpin) this.maxSpin = this.spinDepth;
    if (this.depth === MAX_LOCK_DEPTH + 1) this.violate(`lock depth ${this.depth} > MAX_LOCK_DEPTH ${MAX_LOCK_DEPTH} at ${siteName(s)}`);
    if (this.spinDepth === MAX_PREEMPT_DEPTH + 1) this.violate(`preempt_count nesting ${this.spinDepth} > ${MAX_PREEMPT_DEPTH} at ${siteName(s)}`);
  }

  private release(spinning: boolean): void {
    this.depth--;
    if (spinning) this.spinDepth--;
  }

  private violate(msg: string): void {
    if (!this.violationSeen.has(msg)) {
      this.violationSeen.add(msg);
      this.violations.push(msg);
    }
  }

  // ---- atomic read-modify-write on a frame field (1 locked op each) ----

  atomicAdd(field: Int32Array, i: number, delta: number, s: Site): number {
    this.count(K_ATOMIC, s, 1);
    return (field[i] = field[i]! + delta);
  }
  /**
   * `times` atomic_add(delta) on one word, one after another (a run of
   * single-PTE unmaps each dropping a reference): `times` locked ops, the
   * word moved by times × delta. Returns the new value.
   */
  atomicAddEach(field: Int32Array, i: number, delta: number, times: number, s: Site): number {
    this.count(K_ATOMIC, s, times);
    return (field[i] = field[i]! + delta * times);
  }
  /** atomic_dec on each of the `n` words from `i` (one per page of a run): n locked ops. */
  atomicDecEach(field: Int32Array, i: number, n: number, s: Site): void {
    this.count(K_ATOMIC, s, n);
    for (let j = i, end = i + n; j < end; j++) field[j] = field[j]! - 1;
  }
  atomicInc(field: Int32Array, i: number, s: Site): number {
    return this.atomicAdd(field, i, 1, s);
  }
  atomicDec(field: Int32Array, i: number, s: Site): number {
    return this.atomicAdd(field, i, -1, s);
  }
  /** atomic_dec_and_test / put_page_testzero: true when the value reached zero. */
  atomicDecAndTest(field: Int32Array, i: number, s: Site): boolean {
    return this.atomicAdd(field, i, -1, s) === 0;
  }
  /** atomic_sub_and_test. */
  atomicSubAndTest(field: Int32Array, i: number, n: number, s: Site): boolean {
    return this.atomicAdd(field, i, -n, s) === 0;
  }
  /** atomic_add_unless(v, a, u): adds unless the value is u; 1 locked op (uncontended cmpxchg loop). */
  atomicAddUnless(field: Int32Array, i: number, delta: number, unless: number, s: Site): boolean {
    this.count(K_ATOMIC, s, 1);
    if (field[i] === unless) return false;
    field[i] = field[i]! + delta;
    return true;
  }
  /** get_page_unless_zero / folio_try_get. */
  atomicIncNotZero(field: Int32Array, i: number, s: Site): boolean {
    return this.atomicAddUnless(field, i, 1, 0, s);
  }
  /** cmpxchg; page_ref_freeze is cmpxchg(expected -> 0). */
  cmpxchg(field: Int32Array, i: number, old: number, val: number, s: Site): boolean {
    this.count(K_ATOMIC, s, 1);
    if (field[i] !== old) return false;
    field[i] = val;
    return true;
  }
  /** set_bit / SetPageXxx (atomic flavour). */
  setBit(flags: Uint32Array, i: number, bit: number, s: Site): void {
    this.count(K_ATOMIC, s, 1);
    flags[i] = flags[i]! | (1 << bit);
  }
  clearBit(flags: Uint32Array, i: number, bit: number, s: Site): void {
    this.count(K_ATOMIC, s, 1);
    flags[i] = flags[i]! & ~(1 << bit);
  }
  testAndSetBit(flags: Uint32Array, i: number, bit: number, s: Site): boolean {
    this.count(K_ATOMIC, s, 1);
    const old = (flags[i]! >>> bit) & 1;
    flags[i] = flags[i]! | (1 << bit);
    return old === 1;
  }
  testAndClearBit(flags: Uint32Array, i: number, bit: number, s: Site): boolean {
    this.count(K_ATOMIC, s, 1);
    const old = (flags[i]! >>> bit) & 1;
    flags[i] = flags[i]! & ~(1 << bit);
    return old === 1;
  }

  // ---- non-atomic stores: free (atomic_set, page_ref_unfreeze, __SetPageXxx) ----

  set(field: Int32Array, i: number, v: number): void {
    field[i] = v;
  }
  __setBit(flags: Uint32Array, i: number, bit: number): void {
    flags[i] = flags[i]! | (1 << bit);
  }
  __clearBit(flags: Uint32Array, i: number, bit: number): void {
    flags[i] = flags[i]! & ~(1 << bit);
  }

  // ---- locks ----

  /** spin_lock: 1 locked op + 1 acquisition; spin_unlock is a release store (0). */
  spinLock(s: Site): void {
    this.acquire(K_SPIN, s, true);
  }
  spinUnlock(): void {
    this.release(true);
  }
  /** spin_lock_irqsave / spin_lock_irq: counted as irq_save kind. */
  spinLockIrqSave(s: Site): void {
    this.acquire(K_IRQ, s, true);
  }
  spinUnlockIrqRestore(): void {
    this.release(true);
  }
  /** bit_spin_lock: test_and_set_bit_lock (1) + preempt_disable. Not lockdep-tracked, but nests. */
  bitSpinLock(flags: Uint32Array, i: number, bit: number, s: Site): void {
    this.acquire(K_BITSPIN, s, true);
    flags[i] = flags[i]! | (1 << bit);
  }
  /** bit_spin_unlock: clear_bit_unlock is a locked op on x86 (docs/kernel/mm-facts.md §2). */
  bitSpinUnlock(flags: Uint32Array, i: number, bit: number, s: Site): void {
    this.count(K_BITSPIN, s, 1);
    flags[i] = flags[i]! & ~(1 << bit);
    this.release(true);
  }
  /**
   * `times` critical sections in a row under one bit spinlock nobody else
   * holds, each bit_spin_lock ... __bit_spin_unlock (a run of single-PTE
   * unmaps under the folio's `_mm_ids` lock): `times` locked ops and
   * acquisitions, nesting one level deep as each section does. The bit is
   * clear again afterwards, as it was.
   */
  bitSpinLockedEach(times: number, s: Site): void {
    if (times <= 0) return;
    this.acquire(K_BITSPIN, s, true);
    this.count(K_BITSPIN, s, times - 1);
    this.acquisitions += times - 1;
    this.release(true);
  }
  /** __bit_spin_unlock: non-atomic release (0 locked ops). */
  __bitSpinUnlock(flags: Uint32Array, i: number, bit: number): void {
    flags[i] = flags[i]! & ~(1 << bit);
    this.release(true);
  }
  /** down_write / down_read on an rwsem (anon_vma lock, i_mmap_rwsem, mmap_lock): 1 each way. */
  downWrite(s: Site): void {
    this.acquire(K_RWSEM, s, false);
  }
  upWrite(s: Site): void {
    this.count(K_RWSEM, s, 1);
    this.release(false);
  }
  downRead(s: Site): void {
    this.acquire(K_RWSEM, s, false);
  }
  upRead(s: Site): void {
    this.count(K_RWSEM, s, 1);
    this.release(false);
  }
  /** lock_page / folio_trylock (PG_locked): 1; unlock_page: 1 (locked clear). */
  lockPage(flags: Uint32Array, i: number, bit: number, s: Site): boolean {
    this.count(K_PAGELOCK, s, 1);
    if ((flags[i]! >>> bit) & 1) return false;
    flags[i] = flags[i]! | (1 << bit);
    this.acquisitions++;
    return true;
  }
  unlockPage(flags: Uint32Array, i: number, bit: number, s: Site): void {
    this.count(K_PAGELOCK, s, 1);
    flags[i] = flags[i]! & ~(1 << bit);
  }

  // ---- not locked ops, reported separately ----

  /** A TLB flush (shootdown), or `n` of them. */
  tlbFlush(n = 1): void {
    this.tlb += n;
  }
  copyPage(): void {
    this.copies++;
  }

  get currentDepth(): number {
    return this.depth;
  }

  totals(): LedgerTotals {
    const lockedOpsByKind: Record<string, number> = {};
    const byKind = new Float64Array(NKINDS);
    const m = this.bySiteKind;
    for (let i = 0; i < m.length; i++) byKind[i % NKINDS]! += m[i]!;
    let lockedOps = 0;
    for (let k = 0; k < NKINDS; k++) {
      lockedOpsByKind[KINDS[k]!] = byKind[k]!;
      lockedOps += byKind[k]!;
    }
    // Sites sorted by name so the summary is byte-identical whatever the interning order.
    const pairs: [string, number][] = [];
    for (let s = 0; s * NKINDS < m.length; s++) {
      const n = this.atSite(s as Site);
      if (n > 0) pairs.push([siteName(s as Site), n]);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const lockedOpsBySite: Record<string, number> = {};
    for (const [n, v] of pairs) lockedOpsBySite[n] = v;
    return {
      lockedOps,
      lockAcquisitions: this.acquisitions,
      lockedOpsByKind,
      lockedOpsBySite,
      maxLockDepth: this.maxDepth,
      maxSpinDepth: this.maxSpin,
      tlbShootdowns: this.tlb,
      pageCopies: this.copies,
      nestingViolations: [...this.violations],
    };
  }

  /** Locked ops so far at one site, all kinds (for tests and per-event deltas). */
  atSite(s: Site): number {
    const m = this.bySiteKind;
    const base = s * NKINDS;
    let n = 0;
    for (let k = 0; k < NKINDS && base + k < m.length; k++) n += m[base + k]!;
    return n;
  }
  get lockedOps(): number {
    return this.total;
  }
}
