import { describe, expect, it } from 'vitest';
import type { Kernel } from './kernel.js';
import { contentMismatch } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked, pfnAt } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB;
const at = (k: Kernel, name: string): number => k.ledger.totals().lockedOpsBySite[name] ?? 0;

/** A THP written whole, PTE-mapped by an mprotect round trip of one page (split_huge_pmd), then fork. */
function forkPteMappedThp(pteBatching: boolean): { k: Kernel; ops: number } {
  const k = applyChecked(testKernel({ params: { pteBatching } }), [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    { type: 'mprotect', pid: 1, addr: A, len: 4096, write: false },
    { type: 'mprotect', pid: 1, addr: A, len: 4096, write: true },
  ]);
  const before = at(k, 'copy_present_pte');
  applyChecked(k, [{ type: 'fork', parent: 1, child: 2 }]);
  return { k, ops: at(k, 'copy_present_pte') - before };
}

describe('fork of a PTE-mapped THP (copy_pte_range)', () => {
  it('from 6.9 a run of PTEs into one large folio takes its references with one atomic; before, one per PTE', () => {
    const batched = forkPteMappedThp(true);
    const single = forkPteMappedThp(false);
    // Both clear PG_anon_exclusive page by page (512 atomics); the reference count differs: 1 + 512 against 512 + 512.
    expect(single.ops).toBe(1024);
    expect(batched.ops).toBe(513);
    for (const { k } of [batched, single]) {
      expect(pfnAt(k, 2, A + 4096)).toBe(pfnAt(k, 1, A + 4096));
      expect(k.frames.refcount[pfnAt(k, 1, A)]).toBe(1024);
      expect(contentMismatch(k, k.mm(2))).toBeNull();
    }
  });
});
