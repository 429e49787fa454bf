import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { MIGRATE_CMA } from './buddy.js';
import { PG } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { migrateFolio } from './migrate.js';
import { anonHugeBytes, contentMismatch, folioOrder } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked, pfnAt } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB;

const run = (events: WorkloadEvent[], k: Kernel): Kernel => applyChecked(k, events);

function site(k: Kernel, name: string): number {
  return k.ledger.totals().lockedOpsBySite[name] ?? 0;
}

const small = (k = testKernel({ settings: { 'thp.enabled': 'never' } })) => k;

describe('migrateFolio', () => {
  it('moves a small anon page shared by two processes: content copied, both remapped, old frame freed', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 4096, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
        { type: 'fork', parent: 1, child: 2 },
      ],
      small(),
    );
    const old = pfnAt(k, 1, A);
    const copies = k.ledger.totals().pageCopies;
    const r = migrateFolio(k, old, 'numa');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(pfnAt(k, 1, A)).toBe(r.newHead);
    expect(pfnAt(k, 2, A)).toBe(r.newHead);
    expect(k.frames.refcount[r.newHead]).toBe(2);
    expect(k.frames.mapcount[r.newHead]).toBe(2);
    expect(k.buddy.isFreePage(old)).toBe(true);
    expect(k.ledger.totals().pageCopies - copies).toBe(1);
    expect(k.drain().filter((o) => o.type === 'migrate')).toEqual([
      expect.objectContaining({ type: 'migrate', reason: 'numa', result: 'success', pfn: old, order: 0, newPfn: r.newHead }),
    ]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('moves a PMD-mapped THP whole and keeps it PMD-mapped and anon-exclusive', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      ],
      testKernel(),
    );
    const old = pfnAt(k, 1, A);
    const r = migrateFolio(k, old, 'numa');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(folioOrder(k, k.mm(1), A)).toBe(9);
    expect(anonHugeBytes(k, k.mm(1))).toBe(2 * MB);
    expect(pfnAt(k, 1, A)).toBe(r.newHead);
    expect(k.frames.test(r.newHead, PG.anon_exclusive)).toBe(true);
    expect(k.ledger.totals().pageCopies).toBe(512);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('refuses a THP where the era cannot migrate THPs (<= 5.6)', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      ],
      testKernel({ params: { thpMigration: false } }),
    );
    expect(migrateFolio(k, pfnAt(k, 1, A), 'numa')).toEqual({ ok: false, cause: 'thp' });
    expect(k.outcomes.get('migrate').reasons).toEqual({ thp: 1 });
  });

  it('a FOLL_PIN pin aborts the unmap of an anon-exclusive page from 5.19, and fails the refcount check before', () => {
    const events: WorkloadEvent[] = [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4096, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
      { type: 'pin', pid: 1, addr: A, len: 4096, handle: 'h' },
    ];
    const modern = run(events, small());
    const pfn = pfnAt(modern, 1, A);
    expect(migrateFolio(modern, pfn, 'numa')).toEqual({ ok: false, cause: 'pinned' });
    expect(site(modern, 'try_to_migrate_one.ptl')).toBe(0);
    expect(pfnAt(modern, 1, A)).toBe(pfn);
    expect(checkInvariants(modern)).toEqual([]);

    const old = run(events, small(testKernel({ settings: { 'thp.enabled': 'never' }, params: { anonExclusive: false } })));
    const pfn2 = pfnAt(old, 1, A);
    expect(migrateFolio(old, pfn2, 'numa')).toEqual({ ok: false, cause: 'pinned' });
    expect(site(old, 'try_to_migrate_one.ptl')).toBe(1);
    expect(site(old, 'remove_migration_pte.ptl')).toBe(1);
    expect(pfnAt(old, 1, A)).toBe(pfn2);
    expect(checkInvariants(old)).toEqual([]);
  });

  it('a FOLL_GET reference makes the migration fail with extra_ref and leaves the mapping intact', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 4096, kind: 'anon' },
        { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
        { type: 'get', pid: 1, addr: A, len: 4096, handle: 'g' },
      ],
      small(),
    );
    const pfn = pfnAt(k, 1, A);
    expect(migrateFolio(k, pfn, 'numa')).toEqual({ ok: false, cause: 'extra_ref' });
    expect(pfnAt(k, 1, A)).toBe(pfn);
    expect(k.frames.test(pfn, PG.lru)).toBe(true);
    expect(k.frames.refcount[pfn]).toBe(2);
    expect(checkInvariants(k)).toEqual([]);
    run([{ type: 'put', handle: 'g' }], k);
    expect(migrateFolio(k, pfn, 'numa').ok).toBe(true);
  });

  it('a shmem page moves with its page-cache slot and freezes at mapcount + cache + 1', () => {
    const k = run(
      [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 4096, kind: 'shmem', file: 'f' },
        { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
      ],
      small(),
    );
    const pfn = pfnAt(k, 1, A);
    const r = migrateFolio(k, pfn, 'numa');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(k.files.get('f')!.cache.get(0)).toBe(r.newHead);
    expect(k.frames.refcount[r.newHead]).toBe(2); // one mapping + the page cache
    expect(site(k, 'folio_migrate_mapping.freeze')).toBe(1);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    expect(checkInvariants(k)).toEqual([]);
  });
});

describe('FOLL_LONGTERM pins and CMA', () => {
  const cmaMachine = (params = {}) => testKernel({ config: { memory: 16 * MB, cma: 8 * MB }, settings: { 'thp.enabled': 'never' }, params });
  const setup: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 4096, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
  ];

  it('a longterm pin of a page in CMA migrates it out first, and CMA can later allocate the range', () => {
    const k = run(setup, cmaMachine());
    const before = pfnAt(k, 1, A);
    expect(k.buddy.pageblockMigratetype(before)).toBe(MIGRATE_CMA);
    run([{ type: 'pin', pid: 1, addr: A, len: 4096, handle: 'h', longterm: true }], k);
    const after = pfnAt(k, 1, A);
    expect(after).not.toBe(before);
    expect(k.buddy.pageblockMigratetype(after)).not.toBe(MIGRATE_CMA);
    expect(k.handles.get('h')!.pfns[0]).toBe(after);
    expect(k.outcomes.get('migrate').ok).toBe(1);
    expect(k.drain().some((o) => o.type === 'migrate' && o.reason === 'longterm_pin' && o.result === 'success')).toBe(true);
    run([{ type: 'alloc_contig', pages: 2048, cma: true, handle: 'c' }], k);
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
  });

  it('without longterm migration the pin stays in CMA and the CMA allocation fails with pinned', () => {
    const k = run(
      [...setup, { type: 'pin', pid: 1, addr: A, len: 4096, handle: 'h', longterm: true }, { type: 'alloc_contig', pages: 2048, cma: true }],
      cmaMachine({ longtermMigratesCma: false }),
    );
    expect(k.buddy.pageblockMigratetype(pfnAt(k, 1, A))).toBe(MIGRATE_CMA);
    expect(k.outcomes.get('cma_alloc').reasons).toEqual({ pinned: 1 });
  });
});
