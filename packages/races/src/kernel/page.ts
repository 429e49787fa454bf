/**
 * struct page words and the kernel primitives the paths are written in, each
 * expanded into the steps the hardware performs: an atomic (lock-prefixed on
 * x86) operation is one rmw step; a `__`-prefixed non-atomic bit operation
 * is a load step and a store step.
 *
 * Bit positions are the model's own (page-flags.h numbers them per config);
 * what matters is which bits share one flags word.
 */
import { branchIf, load, rmw, store, type Check, type Step } from '../steps.js';

export const PG_locked = 1 << 0;
export const PG_head = 1 << 1;
export const PG_tail = 1 << 2;
/** PG_compound_lock (CONFIG_TRANSPARENT_HUGEPAGE, until v4.5 removed compound_lock). */
export const PG_compound_lock = 1 << 3;
export const PAGE_FLAGS = { PG_locked, PG_head, PG_tail, PG_compound_lock } as const;

/** __SetPageXxx: a plain read-modify-write of the flags word (two steps). */
export function __setPageFlag(fn: string, word: string, bit: number, reg: string, name: string): Step[] {
  return [load(fn, word, reg, { what: `${name}: read flags` }), store(fn, word, (r) => r[reg]! | bit, { what: `${name}: store flags | ${flagName(bit)}` })];
}

/** __ClearPageXxx: the same plain read-modify-write, clearing the bit. */
export function __clearPageFlag(fn: string, word: string, bit: number, reg: string, name: string): Step[] {
  return [load(fn, word, reg, { what: `${name}: read flags` }), store(fn, word, (r) => r[reg]! & ~bit, { what: `${name}: store flags & ~${flagName(bit)}` })];
}

/** get_page_unless_zero / page_cache_get_speculative: atomic_inc_not_zero(&page->_count); `into` gets the old count. */
export const get_page_unless_zero = (fn: string, word: string, into: string, o: { check?: Check } = {}): Step =>
  rmw(fn, word, (old) => (old === 0 ? 0 : old + 1), { into, what: 'atomic_inc_not_zero(_count)', ...o });

/** get_page / page_ref_inc on a page the caller already holds: atomic_inc (relaxed: it returns nothing). */
export const page_ref_inc = (fn: string, word: string): Step => rmw(fn, word, (old) => old + 1, { what: 'atomic_inc(_count)', relaxed: true });

/** page_ref_add / page_ref_sub: atomic_add / atomic_sub, which return nothing and order nothing. */
export const page_ref_add = (fn: string, word: string, n: number): Step =>
  rmw(fn, word, (old) => old + n, { what: n >= 0 ? `page_ref_add(page, ${n})` : `page_ref_sub(page, ${-n})`, relaxed: true });

/** put_page_testzero: atomic_dec_and_test; `into` gets the old count (1 means this put freed it). */
export const put_page_testzero = (fn: string, word: string, into: string): Step =>
  rmw(fn, word, (old) => old - 1, { into, what: 'atomic_dec_and_test(_count)' });

/** set_page_count / set_page_refcounted: atomic_set, a plain store. */
export const set_page_count = (fn: string, word: string, v: number): Step => store(fn, word, v, { what: `atomic_set(_count, ${v})` });

/** bit_spin_lock: test_and_set_bit_lock, spinning while the bit is set (an rmw that waits). */
export const bit_spin_lock = (fn: string, word: string, bit: number, o: { check?: Check } = {}): Step =>
  rmw(fn, word, (old) => old | bit, { await: (old) => (old & bit) === 0, what: `test_and_set_bit_lock(${flagName(bit)})`, ...o });

/** bit_spin_unlock: clear_bit_unlock; `into` gets the old flags (the holder expects its bit still set). */
export const clear_bit_unlock = (fn: string, word: string, bit: number, o: { into?: string; check?: Check } = {}): Step =>
  rmw(fn, word, (old) => old & ~bit, { what: `clear_bit_unlock(${flagName(bit)})`, ...o });

/** lock_page: trylock_page (test_and_set_bit_lock(PG_locked)) or sleep until it is clear. */
export const lock_page = (fn: string, word: string, o: { check?: Check } = {}): Step =>
  rmw(fn, word, (old) => old | PG_locked, { await: (old) => (old & PG_locked) === 0, what: 'test_and_set_bit_lock(PG_locked)', ...o });

export const unlock_page = (fn: string, word: string): Step => rmw(fn, word, (old) => old & ~PG_locked, { what: 'clear_bit_unlock(PG_locked)' });

/** if (!reg) goto to: the usual `if (!get_page_unless_zero(page)) goto out`. */
export const unlessGot = (reg: string, to: string): Step => branchIf((r) => r[reg] === 0, to);

export function flagName(bit: number): string {
  const names = Object.entries(PAGE_FLAGS)
    .filter(([, b]) => (bit & b) !== 0)
    .map(([n]) => n);
  return names.length > 0 ? names.join('|') : String(bit);
}
