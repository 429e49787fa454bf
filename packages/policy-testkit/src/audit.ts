/**
 * "Costs only through ledger primitives": an audit that catches model code
 * (a policy above all) changing a frame's reference count or mapcount
 * without going through `k.ledger`. A policy typed against kernel-core's
 * PolicyCtx cannot write a frame field at all (its frames are read-only);
 * the audit is the run-time check behind those types, for code that casts
 * around them and for model paths that hold the whole Kernel.
 *
 * How: the audit wraps, on one Kernel instance (no Proxy, no prototype
 * change), every Ledger primitive that takes a (field, index) pair (and
 * atomicDecEach's (field, index, count) range), the
 * allocator's prep_new_page and the kernel's freeFolio, and records which
 * refcount/mapcount slots they touched. `begin()` snapshots both arrays;
 * `end()` compares: every slot whose value changed must have been touched by
 * a primitive (or by allocation / freeing of its frame), and if anything
 * changed the ledger must have counted at least one locked op.
 *
 * What it catches: a direct `frames.refcount[h]++` or `mapcount[t]--` on a
 * live frame that no primitive touched in the same window; an operation
 * that moves counters while the ledger records nothing.
 *
 * What it cannot catch: a direct write to a slot that a primitive also
 * touched in the same window (an extra hidden increment next to a counted
 * one); writes to flags, LRU links or the large-folio fields kept in tail
 * slots (those arrays hold plain-store struct data too); a primitive of the
 * wrong price (`ledger.set`, free, where the kernel does an atomic — the
 * kernel has legitimate plain stores such as page_ref_unfreeze and 3.13's
 * _mapcount copy in split, so `set` counts as explained). The per-design
 * locked-op tests pin the prices.
 */
import type { Kernel } from '@pagelab/kernel-core';

const FIELD_PRIMITIVES = [
  'atomicAdd',
  'atomicAddEach',
  'atomicInc',
  'atomicDec',
  'atomicDecAndTest',
  'atomicSubAndTest',
  'atomicAddUnless',
  'atomicIncNotZero',
  'cmpxchg',
  'set',
] as const;

export interface LedgerAudit {
  /** Starts a window: snapshots the counters and forgets earlier touches. */
  begin(): void;
  /** Ends the window: one sentence per unexplained change (empty = clean). */
  end(): string[];
}

type AnyFn = (...args: unknown[]) => unknown;

export function auditLedger(k: Kernel): LedgerAudit {
  const f = k.frames;
  const touchedRef = new Set<number>();
  const touchedMap = new Set<number>();
  const touchedFrame = new Set<number>();
  const ledger = k.ledger as unknown as Record<string, AnyFn>;
  for (const name of FIELD_PRIMITIVES) {
    const orig = ledger[name]!.bind(k.ledger);
    ledger[name] = (...args: unknown[]) => {
      const [field, i] = args as [Int32Array, number];
      if (field === f.refcount) touchedRef.add(i);
      else if (field === f.mapcount) touchedMap.add(i);
      return orig(...args);
    };
  }
  // atomicDecEach(field, i, n): one atomic on each of the n slots from i.
  const decEach = ledger['atomicDecEach']!.bind(k.ledger);
  ledger['atomicDecEach'] = (...args: unknown[]) => {
    const [field, i, n] = args as [Int32Array, number, number];
    const touched = field === f.refcount ? touchedRef : field === f.mapcount ? touchedMap : undefined;
    if (touched) for (let j = i; j < i + n; j++) touched.add(j);
    return decEach(...args);
  };
  const markRange = (pfn: number, order: number) => {
    for (let i = 0; i < 1 << order; i++) touchedFrame.add(pfn + i);
  };
  const buddy = k.buddy as unknown as Record<string, AnyFn>;
  const prep = buddy['prepNewPage']!.bind(k.buddy);
  buddy['prepNewPage'] = (...args: unknown[]) => {
    markRange(args[0] as number, args[1] as number);
    return prep(...args);
  };
  const kernel = k as unknown as Record<string, AnyFn>;
  const free = kernel['freeFolio']!.bind(k);
  kernel['freeFolio'] = (...args: unknown[]) => {
    const head = args[0] as number;
    markRange(head, f.order(head));
    return free(...args);
  };

  let ref0 = new Int32Array(0),
    map0 = new Int32Array(0),
    ops0 = 0;
  return {
    begin() {
      ref0 = f.refcount.slice();
      map0 = f.mapcount.slice();
      ops0 = k.ledger.lockedOps;
      touchedRef.clear();
      touchedMap.clear();
      touchedFrame.clear();
    },
    end() {
      const out: string[] = [];
      let changed = 0;
      for (let p = 0; p < f.nr; p++) {
        const dr = f.refcount[p] !== ref0[p],
          dm = f.mapcount[p] !== map0[p];
        if (!dr && !dm) continue;
        changed++;
        if (touchedFrame.has(p)) continue;
        if (dr && !touchedRef.has(p)) out.push(`frame ${p}: refcount ${ref0[p]} -> ${f.refcount[p]} without a ledger primitive on it`);
        if (dm && !touchedMap.has(p)) out.push(`frame ${p}: mapcount ${map0[p]} -> ${f.mapcount[p]} without a ledger primitive on it`);
      }
      if (changed > 0 && k.ledger.lockedOps === ops0) out.push(`${changed} frames changed refcount/mapcount while the ledger counted no locked op`);
      return out;
    },
  };
}
