import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { entireMapcount } from './folio.js';
import { checkInvariants } from './invariants.js';
import { ptePfn } from './pte.js';
import { applyEvent } from './syscalls.js';
import { site } from './ledger.js';
import { putState } from './testing/put-state.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

describe('split_vma', () => {
  it('splits a huge PMD that would straddle the new VMA boundary (madvise on part of a THP), so fork copies the THP once', () => {
    const k = testKernel();
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
      { type: 'madvise', pid: 1, addr: A, len: PAGE, advice: 'nohugepage' },
      { type: 'fork', parent: 1, child: 2 },
    ];
    for (const e of events) {
      applyEvent(k, e);
      expect(checkInvariants(k)).toEqual([]);
    }
    const pt = k.mm(1).pt(A)!;
    expect(pt.pmd).toBe(0);
    const head = k.frames.head(ptePfn(pt.ptes[0]!));
    expect(entireMapcount(k.frames, head)).toBe(0);
    expect(k.mm(1).vmas.map((v) => [v.start, v.end])).toEqual([
      [A, A + PAGE],
      [A + PAGE, A + 4 * MB],
    ]);
  });

  it('leaves a huge PMD whole when madvise changes no flag of the VMA (madvise_update_vma returns early)', () => {
    const k = testKernel();
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
      { type: 'madvise', pid: 1, addr: A, len: 4 * MB, advice: 'hugepage' },
      { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
      { type: 'madvise', pid: 1, addr: A, len: PAGE, advice: 'hugepage' },
    ] satisfies WorkloadEvent[])
      applyEvent(k, e);
    expect(k.mm(1).pt(A)!.pmd).toBeGreaterThan(0);
    expect(k.mm(1).vmas.length).toBe(1);
    expect(checkInvariants(k)).toEqual([]);
  });

  it("links the new part of a split shmem VMA into the file's i_mmap: truncate unmaps what a partial munmap left mapped", () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' } });
    const S = A + 4 * MB;
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: S, len: 2 * MB, kind: 'shmem', file: 'f', offset: 0 },
      { type: 'munmap', pid: 1, addr: S, len: PAGE },
      { type: 'touch', pid: 1, addr: S + PAGE, len: PAGE, write: true },
      { type: 'truncate', file: 'f', size: 0 },
    ] satisfies WorkloadEvent[]) {
      applyEvent(k, e);
      expect(checkInvariants(k)).toEqual([]);
    }
    // Nothing stays mapped; the PTE page stays allocated (unmap_mapping_range zaps entries, free_pgtables runs only at munmap).
    expect(k.mm(1).pt(S + PAGE)!.used).toBe(0);
    expect(k.files.get('f')!.mappers.map((m) => m.vma.start)).toEqual([S + PAGE]);
  });
});

describe('zap_pte_range batching (folio_pte_batch, 6.10+)', () => {
  const MiB = 1 << 20;
  const A = 64 * MiB;
  /** A THP split to PTEs by an mprotect of one page, then its second half unmapped. */
  function zapHalf(pteBatching: boolean) {
    const k = testKernel({ params: { pteBatching } });
    for (const e of [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MiB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MiB, write: true },
      { type: 'mprotect', pid: 1, addr: A, len: 4096, write: false },
    ] as WorkloadEvent[])
      applyEvent(k, e);
    const put = k.ledger.atSite(site('zap_pte_range'));
    applyEvent(k, { type: 'munmap', pid: 1, addr: A + MiB, len: MiB });
    expect(checkInvariants(k)).toEqual([]);
    return k.ledger.atSite(site('zap_pte_range')) - put;
  }

  it('drops the 256 mapping references of one folio in one atomic when PTEs are batched, one per PTE before', () => {
    // Either way: one PT lock for the table. Then 1 folio_put_refs(256) vs 256 put_page.
    expect(zapHalf(true)).toBe(1 + 1);
    expect(zapHalf(false)).toBe(1 + 256);
  });
});

describe("a zap's mmu_gather batch", () => {
  it('foliosPutRefs counts and frees exactly what folio_put_refs entry by entry does, small pages and a THP on the deferred split queue alike', () => {
    // Two kernels in the same state: 8 small pages (every third still referenced elsewhere) and a partly mapped THP.
    const build = () => {
      const k = testKernel();
      const small: number[] = [];
      for (let i = 0; i < 8; i++) small.push(k.allocUserFolio(0, 0, true));
      for (let i = 0; i < small.length; i += 3) k.frames.refcount[small[i]!]!++;
      const thp = k.allocUserFolio(9, 0, true);
      k.frames.refcount[thp] = 3;
      k.deferredSplitFolio(thp);
      return { k, heads: Int32Array.from([...small, thp, thp]), refs: Int32Array.from([...small.map(() => 1), 2, 1]) };
    };
    const a = build(),
      b = build();
    expect(Array.from(a.heads)).toEqual(Array.from(b.heads));
    a.k.foliosPutRefs(a.heads, a.refs, a.heads.length, ZAP_TEST);
    for (let j = 0; j < b.heads.length; j++) b.k.folioPutRefs(b.heads[j]!, b.refs[j]!, ZAP_TEST);
    // The THP's last reference went with the second entry: it left the deferred queue and was freed.
    expect(a.k.deferredLen).toBe(0);
    expect(putState(a.k)).toEqual(putState(b.k));
    expect(a.k.buddy.checkConsistency()).toEqual([]);
  });
});

const ZAP_TEST = site('zap_pte_range.gather');
