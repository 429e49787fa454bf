/**
 * The step language: a kernel path is an array of named steps on shared
 * words. One step is one indivisible memory access as the hardware performs
 * it: a plain load, a plain store, an atomic read-modify-write, or a barrier.
 * A non-atomic RMW such as __SetPageHead is therefore two steps (a load into
 * a register, then a store computed from it), and another CPU can run between
 * them. Branches, labels and register-only assertions are local: they run as
 * soon as the CPU reaches them and never appear as steps of an interleaving.
 *
 * Words are named ("H.flags", "H._count", "A.i_pages[0]"); values are small
 * integers (a pointer is the number of the page or file it names). Registers
 * are per CPU and named by the path; expressions read them as `r.name`.
 */

/** A CPU's registers as the expressions of its path see them (read-only). */
export type Regs = Readonly<Record<string, number>>;
/** Reads a shared word by name (assertions only: a ghost read). */
export type ReadWord = (word: string) => number;

/** A property that must hold right after the step that carries it. */
export interface Check {
  readonly assertion: string;
  /** Words the check reads as a ghost observer (they are part of the step's footprint). */
  readonly reads?: readonly string[];
  readonly holds: (r: Regs, m: ReadWord) => boolean;
}

interface Named {
  /** The kernel function this step belongs to, as a reader of mm/ would name it. */
  readonly fn: string;
  /** What the step does, in a few words ("read flags", "store PG_head"). */
  readonly what?: string;
  readonly check?: Check;
}

export interface LoadStep extends Named {
  readonly kind: 'load';
  readonly word: string;
  readonly into: string;
  /** smp_load_acquire: no later load is satisfied before it (weak model). */
  readonly acquire?: boolean;
}
export interface StoreStep extends Named {
  readonly kind: 'store';
  readonly word: string;
  readonly value: number | ((r: Regs) => number);
  /** smp_store_release: it becomes visible only after every older store (weak model). */
  readonly release?: boolean;
}
export interface RmwStep extends Named {
  readonly kind: 'rmw';
  readonly word: string;
  /** The new value from the old one (atomic: nothing runs between the read and the write). */
  readonly update: (old: number, r: Regs) => number;
  /** Register that receives the old value. */
  readonly into?: string;
  /** The step is enabled only when this holds of the current value (bit_spin_lock waiting for the bit). */
  readonly await?: (old: number, r: Regs) => boolean;
  /**
   * Waiting here for ever is not a bug: the event simply does not happen in
   * that interleaving (an allocation of a page that is never freed). Without
   * it, a state where a CPU can never pass its await is reported as the
   * built-in "waits forever" violation (ABBA, a lock never released).
   */
  readonly mayWaitForever?: boolean;
  /**
   * A non-value-returning atomic (atomic_inc, set_bit, clear_bit): unordered
   * in the LKMM, so under the weak model it does not wait for older buffered
   * stores (other than to its own word), and later loads may pass it.
   * Without this, every RMW is fully ordered.
   */
  readonly relaxed?: boolean;
}
export type BarrierKind = 'smp_wmb' | 'smp_rmb' | 'smp_mb';
export interface BarrierStep extends Named {
  readonly kind: 'barrier';
  readonly barrier: BarrierKind;
}
export interface BranchStep {
  readonly kind: 'branch';
  readonly when: (r: Regs) => boolean;
  /** A label later in the same path (paths have no loops: waiting is an `await` RMW). */
  readonly to: string;
}
export interface LabelStep {
  readonly kind: 'label';
  readonly name: string;
}
export interface AssertStep {
  readonly kind: 'assert';
  readonly assertion: string;
  readonly holds: (r: Regs) => boolean;
}

export type Step = LoadStep | StoreStep | RmwStep | BarrierStep | BranchStep | LabelStep | AssertStep;
/** Paths are built from helpers that return one step or several (a non-atomic RMW is two), nested freely. */
export type Steps = readonly (Step | Steps)[];

type Opts = { what?: string; check?: Check };

export const load = (fn: string, word: string, into: string, o: Opts & { acquire?: boolean } = {}): LoadStep => ({ kind: 'load', fn, word, into, ...o });
export const store = (fn: string, word: string, value: number | ((r: Regs) => number), o: Opts & { release?: boolean } = {}): StoreStep => ({
  kind: 'store',
  fn,
  word,
  value,
  ...o,
});
/** smp_load_acquire(word). */
export const load_acquire = (fn: string, word: string, into: string, o: Opts = {}): LoadStep =>
  load(fn, word, into, { what: 'smp_load_acquire', ...o, acquire: true });
/** smp_store_release(word, value). */
export const store_release = (fn: string, word: string, value: number | ((r: Regs) => number), o: Opts = {}): StoreStep =>
  store(fn, word, value, { what: 'smp_store_release', ...o, release: true });
export const rmw = (
  fn: string,
  word: string,
  update: (old: number, r: Regs) => number,
  o: Opts & { into?: string; await?: (old: number, r: Regs) => boolean; relaxed?: boolean; mayWaitForever?: boolean } = {},
): RmwStep => ({ kind: 'rmw', fn, word, update, ...o });
export const smp_wmb = (fn: string): BarrierStep => ({ kind: 'barrier', fn, barrier: 'smp_wmb', what: 'smp_wmb()' });
export const smp_rmb = (fn: string): BarrierStep => ({ kind: 'barrier', fn, barrier: 'smp_rmb', what: 'smp_rmb()' });
export const smp_mb = (fn: string): BarrierStep => ({ kind: 'barrier', fn, barrier: 'smp_mb', what: 'smp_mb()' });
/** Jump forward to `to` when `when` holds of the registers. */
export const branchIf = (when: (r: Regs) => boolean, to: string): BranchStep => ({ kind: 'branch', when, to });
export const label = (name: string): LabelStep => ({ kind: 'label', name });
/** A register-only assertion, checked when the CPU reaches it. */
export const assertThat = (assertion: string, holds: (r: Regs) => boolean): AssertStep => ({ kind: 'assert', assertion, holds });

/** One CPU's path: the kernel entry point it runs and its steps in program order. */
export interface Path {
  readonly name: string;
  readonly steps: Steps;
}
export const path = (name: string, steps: Steps): Path => ({ name, steps });

/** How a word's values are shown in counterexamples. */
export type WordKind =
  | { readonly kind: 'flags'; readonly bits: Readonly<Record<string, number>> }
  | { readonly kind: 'count' }
  | { readonly kind: 'pointer'; readonly names: Readonly<Record<string, number>> };

export interface WordDecl {
  readonly name: string;
  readonly init: number;
  readonly shape: WordKind;
}
export const flagsWord = (name: string, init: number, bits: Record<string, number>): WordDecl => ({ name, init, shape: { kind: 'flags', bits } });
export const countWord = (name: string, init: number): WordDecl => ({ name, init, shape: { kind: 'count' } });
export const pointerWord = (name: string, init: number, names: Record<string, number>): WordDecl => ({ name, init, shape: { kind: 'pointer', names } });

/** A property of the final state, once every CPU has finished and every store is visible. */
export interface FinalCheck {
  readonly assertion: string;
  readonly reads: readonly string[];
  readonly holds: (m: ReadWord, regs: (cpu: number) => Regs) => boolean;
}

export type MemoryModel = 'sc' | 'weak';
export type Verdict = 'reachable' | 'unreachable';

export interface RaceScenario {
  readonly name: string;
  readonly title: string;
  /** Kernel files, functions, versions and commits the paths follow. */
  readonly source: string;
  readonly words: readonly WordDecl[];
  /** Two or three CPUs, each running one path. */
  readonly cpus: readonly Path[];
  readonly finally?: readonly FinalCheck[];
  /** The verdict the scenario is known to reach under each memory model (tests assert it; optional for scenarios of one's own). */
  readonly expect?: Readonly<Record<MemoryModel, Verdict>>;
  /** Why, in a sentence or two. */
  readonly notes?: string;
}
